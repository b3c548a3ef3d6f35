/**
 * A Shiplog service run as the real process (`node --import tsx services/<name>/src/main.ts`) with
 * its environment configuration, as in production, so a benchmark measures the service's own
 * event loop and memory, apart from the load generator's. Only processes started here are
 * signalled, by pid.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface ServiceProcess {
  name: string
  pid: number
  port: number
  origin: string
  /** The last lines the process wrote, for error messages. */
  tail(): string
  /** CPU seconds (user + system) and resident memory, from /proc. */
  usage(): { cpuSeconds: number; rssBytes: number }
  stop(): Promise<void>
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startService(
  name: 'gateway' | 'ingest' | 'release',
  env: Record<string, string>,
  options: { port?: number; ready?: string; timeoutMs?: number; nodeArgs?: string[] } = {}
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort())
  const portVariable = `${name.toUpperCase()}_PORT`
  // extra arguments come after tsx, so a TypeScript module can be preloaded with them
  const args = ['--import', 'tsx', ...(options.nodeArgs ?? []), `services/${name}/src/main.ts`]
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, [portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean))
    lines.splice(0, Math.max(0, lines.length - 40))
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let gone = false
  void exited.then(() => (gone = true))
  const pid = child.pid!
  const origin = `http://127.0.0.1:${port}`
  const service: ServiceProcess = {
    name,
    pid,
    port,
    origin,
    tail: () => lines.join('\n'),
    usage: () => processUsage(pid),
    async stop() {
      if (gone) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  const ready = options.ready ?? '/readyz'
  for (;;) {
    if (gone) throw new Error(`${name} exited while starting:\n${service.tail()}`)
    try {
      if ((await fetch(origin + ready)).ok) return service
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.stop()
      throw new Error(
        `${name} not ready after ${options.timeoutMs ?? 60_000} ms:\n${service.tail()}`
      )
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

const TICKS = 100 // USER_HZ on Linux
const PAGE = 4096

/** CPU seconds and RSS of any process on this machine (Linux /proc); zeros when it is gone. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the command name, which may itself contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return { cpuSeconds: ticks / TICKS, rssBytes: Number(fields[21]) * PAGE }
  } catch {
    return { cpuSeconds: 0, rssBytes: 0 }
  }
}
