/**
 * What a benchmark figure depends on besides the code: the machine (CPU, cores, memory, Node,
 * Postgres and its memory settings) and how busy it was. The machine is shared, so every phase
 * also records where the CPU went: the service under test, the load generator, our Postgres
 * backends, and everything else.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'

import type postgres from 'postgres'

import { processUsage } from './service.ts'

export interface MachineFacts {
  cpu: string
  cores: number
  memoryGiB: number
  kernel: string
  node: string
  postgres: string
  pgSettings: string
  loadBefore: string
}

export async function machineFacts(sql: postgres.Sql): Promise<MachineFacts> {
  const [{ version } = { version: '?' }] = await sql<Array<{ version: string }>>`
    select split_part(version(), ' on ', 1) as version`
  const settings = await sql<Array<{ name: string; setting: string; unit: string | null }>>`
    select name, setting, unit from pg_settings
    where name in ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit', 'max_connections')
    order by name`
  return {
    cpu: os.cpus()[0]?.model.trim() ?? '?',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: version,
    pgSettings: settings.map((s) => `${s.name}=${humanSetting(s.setting, s.unit)}`).join(', '),
    loadBefore: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  }
}

function humanSetting(setting: string, unit: string | null): string {
  const units: Record<string, number> = { '8kB': 8192, kB: 1024, MB: 2 ** 20 }
  const bytes = units[unit ?? '']
  if (!bytes) return setting
  const total = Number(setting) * bytes
  return total >= 2 ** 30 ? `${total / 2 ** 30}GB` : `${Math.round(total / 2 ** 20)}MB`
}

/** Busy and total CPU time of the whole machine, in seconds, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n')
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line!
    .split(/\s+/)
    .slice(1)
    .map(Number)
  const busy = user! + nice! + system! + irq! + softirq! + steal!
  return { busy: busy / 100, total: (busy + idle! + iowait!) / 100 }
}

export interface CpuShare {
  /** Cores' worth of CPU (2.0 = both cores of a 2-core box) used by each watched process. */
  processes: Record<string, number>
  /** Our database's Postgres backends. */
  postgres: number
  /** This process: the load generator. */
  generator: number
  /** Every other process on the machine. */
  others: number
  idle: number
}

/**
 * Starts accounting; `stop()` answers who used the CPU since. `processes` names the pids to watch;
 * Postgres backends are those `backends()` answers (our database's connections), at the start
 * and at the end, so one opened meanwhile counts from its start.
 */
export function cpuAccount(processes: Record<string, number>, backends: () => Promise<number[]>) {
  const cpu = (pid: number) => processUsage(pid).cpuSeconds
  const machine0 = machineCpu()
  const processes0 = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpu(pid)]))
  const generator0 = process.cpuUsage()
  const started = performance.now()
  let pg0: Map<number, number> | undefined
  const pgCpu = async () => new Map((await backends()).map((pid) => [pid, cpu(pid)]))
  return {
    async begin() {
      pg0 = await pgCpu()
    },
    async stop(): Promise<CpuShare> {
      const wall = (performance.now() - started) / 1000
      const machine = machineCpu()
      let postgresSeconds = 0
      for (const [pid, seconds] of await pgCpu()) postgresSeconds += seconds - (pg0?.get(pid) ?? 0)
      const g = process.cpuUsage(generator0)
      const shares = Object.fromEntries(
        Object.entries(processes).map(([k, pid]) => [k, (cpu(pid) - processes0[k]!) / wall])
      )
      const generator = (g.user + g.system) / 1e6 / wall
      const postgres = postgresSeconds / wall
      const busy = (machine.busy - machine0.busy) / wall
      const total = (machine.total - machine0.total) / wall
      const ours = Object.values(shares).reduce((a, b) => a + b, 0) + generator + postgres
      return {
        processes: shares,
        postgres,
        generator,
        others: Math.max(0, busy - ours),
        idle: Math.max(0, total - busy),
      }
    },
  }
}
