/**
 * CPU time and memory of the processes under test, read from /proc: a process and all its
 * descendants (Postgres is a postmaster and its backends; a service is node and tsx's esbuild).
 * CPU of children that already exited counts too (the parent's cutime/cstime), so a backend that
 * came and went within the window is not missed. Also the whole machine's busy time, to tell
 * how much CPU went to processes that are not ours (other people's builds, say).
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // getconf CLK_TCK on Linux

interface Stat {
  pid: number
  ppid: number
  /** utime + stime, seconds. */
  cpu: number
  /** cutime + cstime: exited, reaped children, seconds. */
  childCpu: number
}

function readStat(pid: number): Stat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // the command name is in parentheses and may hold spaces: fields count from after it
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const n = (i: number) => Number(fields[i - 3])
  return {
    pid,
    ppid: n(4),
    cpu: (n(14) + n(15)) / TICKS_PER_SECOND,
    childCpu: (n(16) + n(17)) / TICKS_PER_SECOND,
  }
}

function allStats(): Stat[] {
  const out: Stat[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat) out.push(stat)
  }
  return out
}

/** The pid and every descendant. */
function tree(root: number, stats: Stat[]): Stat[] {
  const children = new Map<number, Stat[]>()
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s])
  const out: Stat[] = []
  const visit = (pid: number) => {
    const s = stats.find((x) => x.pid === pid)
    if (s) out.push(s)
    for (const c of children.get(pid) ?? []) visit(c.pid)
  }
  visit(root)
  return out
}

/** CPU seconds used so far by a process tree, exited children included. */
export function treeCpuSeconds(root: number, stats = allStats()): number {
  const members = tree(root, stats)
  const rootStat = members.find((s) => s.pid === root)
  return members.reduce((sum, s) => sum + s.cpu, 0) + (rootStat?.childCpu ?? 0)
}

/** Resident memory of a process tree now, in bytes (proportional share of shared pages). */
export function treeRssBytes(root: number, stats = allStats()): number {
  let total = 0
  for (const s of tree(root, stats)) {
    try {
      const rollup = readFileSync(`/proc/${s.pid}/smaps_rollup`, 'utf8')
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024
    } catch {
      // exited meanwhile
    }
  }
  return total
}

/** Busy and total CPU seconds of the whole machine since boot (all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const [, ...values] = line.trim().split(/\s+/)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number)
  const busy = user! + nice! + system! + irq! + softirq! + steal!
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle! + iowait!) / TICKS_PER_SECOND }
}

export interface Watched {
  name: string
  /** The tree's root pid now (a restarted server has a new one). */
  pid: () => number | undefined
  /**
   * How its memory is counted: 'process' is the kernel's peak RSS of the root process (VmHWM);
   * 'tree' sums the proportional set sizes of all its processes, sampled (Postgres: shared
   * buffers counted once, not once per backend).
   */
  memory: 'process' | 'tree'
}

function peakRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

export interface CpuWindow {
  /** CPU seconds per watched process during the window. */
  cpu: Record<string, number>
  /** CPU seconds of this process (the load generator and its probes). */
  generator: number
  /** CPU seconds of everything else on the machine (not ours). */
  others: number
  seconds: number
}

/** Measures CPU per process over a window: `const end = cpuWindow(watched); …; end()`. */
export function cpuWindow(watched: readonly Watched[]): () => CpuWindow {
  const snapshot = () => {
    const stats = allStats()
    return {
      at: performance.now(),
      machine: machineCpuSeconds(),
      self: process.cpuUsage(),
      cpu: Object.fromEntries(
        watched.map((w) => {
          const pid = w.pid()
          return [w.name, pid === undefined ? 0 : treeCpuSeconds(pid, stats)]
        })
      ),
    }
  }
  const start = snapshot()
  return () => {
    const end = snapshot()
    const cpu = Object.fromEntries(
      watched.map((w) => [w.name, end.cpu[w.name]! - start.cpu[w.name]!])
    )
    const self = process.cpuUsage(start.self)
    const generator = (self.user + self.system) / 1e6
    const ours = Object.values(cpu).reduce((a, b) => a + b, 0) + generator
    return {
      cpu,
      generator,
      others: Math.max(0, end.machine.busy - start.machine.busy - ours),
      seconds: (end.at - start.at) / 1000,
    }
  }
}

/** Samples each watched process's memory every `intervalMs` and keeps the peaks. */
export function peakRss(watched: readonly Watched[], intervalMs = 1000) {
  const peaks: Record<string, number> = {}
  const sample = () => {
    const stats = allStats()
    for (const w of watched) {
      const pid = w.pid()
      if (pid === undefined) continue
      const now = w.memory === 'tree' ? treeRssBytes(pid, stats) : peakRssBytes(pid)
      peaks[w.name] = Math.max(peaks[w.name] ?? 0, now)
    }
    peaks.generator = Math.max(peaks.generator ?? 0, peakRssBytes(process.pid))
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  timer.unref()
  return {
    peaks,
    stop() {
      clearInterval(timer)
      sample()
      return peaks
    },
  }
}
