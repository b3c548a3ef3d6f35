/**
 * Child processes the fault suite and the benchmark start (servers, services), and making sure
 * none outlives its parent: whatever a failed test or a Ctrl-C leaves behind is killed on exit.
 * Only processes started here are ever signalled; nothing is looked up or killed by name.
 *
 * Shared with bench/: both drive the system as real processes on private servers.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import net from 'node:net'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Child {
  readonly name: string
  readonly pid: number
  readonly process: ChildProcess
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>
  running(): boolean
  signal(signal: NodeJS.Signals): void
}

const live = new Set<Child>()
/** Synchronous last-resort cleanups (e.g. `pg_ctl stop`), run when this process exits. */
const exitHooks = new Set<() => void>()

process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  for (const hook of exitHooks) {
    try {
      hook()
    } catch {
      // best effort: the process is exiting
    }
  }
})

/** Registers a synchronous cleanup for process exit; returns its removal. */
export function onExit(hook: () => void): () => void {
  exitHooks.add(hook)
  return () => exitHooks.delete(hook)
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** stdout and stderr are appended here (the file survives restarts of the same service). */
  logFile: string
}

export function spawnChild(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions
): Child {
  const log = createWriteStream(options.logFile, { flags: 'a' })
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`)
  proc.stdout.pipe(log, { end: false })
  proc.stderr.pipe(log, { end: false })
  let done = false
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true
      live.delete(child)
      // let the pipes flush what the process wrote last before closing the log
      setTimeout(() => log.end(), 50)
      resolve({ code, signal })
    })
    proc.once('error', () => {
      done = true
      live.delete(child)
      log.end()
      resolve({ code: null, signal: null })
    })
  })
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    exited,
    running: () => !done,
    signal: (signal) => {
      if (!done) proc.kill(signal)
    },
  }
  live.add(child)
  return child
}

/** Signals a child and waits for it to exit; SIGKILL follows if it outstays `graceMs`. */
export async function stopChild(
  child: Child,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 20_000
): Promise<Exit> {
  if (!child.running()) return child.exited
  child.signal(signal)
  const timer = setTimeout(() => child.signal('SIGKILL'), graceMs)
  try {
    return await child.exited
  } finally {
    clearTimeout(timer)
  }
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  })
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr || result.stdout}`
    )
  }
  return result.stdout
}

/**
 * The same without blocking the event loop: a load generator may be running beside it, and its
 * timings must not stall while a server starts.
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`${command} ${args.join(' ')} failed: ${err.message} ${stderr || stdout}`)
          )
        } else {
          resolve(stdout)
        }
      }
    )
  })
}

/** A port nothing listens on right now (the kernel's pick), for a server started next. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls until `check` returns a value (not undefined), or throws `message` at the deadline. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  {
    timeoutMs,
    intervalMs = 100,
    message,
  }: { timeoutMs: number; intervalMs?: number; message: string }
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let value: T | undefined
    try {
      value = await check()
    } catch {
      value = undefined
    }
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${message} (waited ${timeoutMs / 1000}s)`)
    await sleep(intervalMs)
  }
}
