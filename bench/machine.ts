/**
 * Facts about the machine a benchmark ran on, printed with its figures: they are only comparable
 * between runs on the same kind of machine. Includes the disk's flush rate (pg_test_fsync), the
 * floor under any "fsync before acknowledging" setting.
 */
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'

import { runAsync } from '../faults/support/children.ts'

export interface MachineFacts {
  cpus: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  disk: string
  filesystem: string
  node: string
  loadAverage: string
  /** fdatasync of one 8 kB write per flush, per second (Postgres' default wal_sync_method). */
  flushesPerSecond: number | undefined
}

async function quiet(command: string, args: string[]): Promise<string> {
  try {
    return (await runAsync(command, args, { timeoutMs: 60_000 })).trim()
  } catch {
    return ''
  }
}

export async function machineFacts(scratch: string, pgBin: string): Promise<MachineFacts> {
  const mount = await quiet('findmnt', ['-no', 'SOURCE,FSTYPE', '-T', scratch])
  const [source = '?', filesystem = '?'] = mount.split(/\s+/)
  const device = source.replace(/^\/dev\//, '').replace(/\d+$/, '')
  const model = await quiet('lsblk', ['-dno', 'NAME,MODEL,ROTA,SIZE', `/dev/${device}`])
  const fsync = await quiet(join(pgBin, 'pg_test_fsync'), [
    '-s',
    '1',
    '-f',
    join(scratch, 'fsync.test'),
  ])
  // "Compare file sync methods using one 8kB write:" … "fdatasync   1234.567 ops/sec"
  const oneWrite = fsync.split('Compare file sync methods using two')[0] ?? ''
  const flushes = /fdatasync\s+([\d.]+) ops\/sec/.exec(oneWrite)?.[1]
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    disk: model ? `${model.replace(/\s+/g, ' ')} (${source})` : source,
    filesystem,
    node: process.version,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    flushesPerSecond: flushes ? Number(flushes) : undefined,
  }
}
