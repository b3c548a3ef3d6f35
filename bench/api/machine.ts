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
  /** Cores' worth of CPU each party used during the phase (2.0 = both cores of a 2-core box). */
  service: number
  generator: number
  postgres: number
  others: number
  idle: number
}

/**
 * Starts accounting; `stop()` answers who used the CPU since. Postgres backends are those whose
 * pids `backends()` answers at the end (our database's connections).
 */
export function cpuAccount(servicePid: number, backends: () => Promise<number[]>) {
  const machine0 = machineCpu()
  const service0 = processUsage(servicePid).cpuSeconds
  const generator0 = process.cpuUsage()
  const started = performance.now()
  let pg0: Map<number, number> | undefined
  const pgCpu = async () => {
    const pids = await backends()
    return new Map(pids.map((pid) => [pid, processUsage(pid).cpuSeconds]))
  }
  return {
    async begin() {
      pg0 = await pgCpu()
    },
    async stop(): Promise<CpuShare> {
      const wall = (performance.now() - started) / 1000
      const machine = machineCpu()
      const pg1 = await pgCpu()
      let postgresSeconds = 0
      for (const [pid, seconds] of pg1) postgresSeconds += seconds - (pg0?.get(pid) ?? 0)
      const g = process.cpuUsage(generator0)
      const service = (processUsage(servicePid).cpuSeconds - service0) / wall
      const generator = (g.user + g.system) / 1e6 / wall
      const postgresShare = postgresSeconds / wall
      const busy = (machine.busy - machine0.busy) / wall
      const total = (machine.total - machine0.total) / wall
      return {
        service,
        generator,
        postgres: postgresShare,
        others: Math.max(0, busy - service - generator - postgresShare),
        idle: Math.max(0, total - busy),
      }
    },
  }
}
