/**
 * Shiplog's services as real processes (`node --import tsx services/<name>/src/main.ts`), the way
 * they run in production: started, waited on until ready, killed, stopped with SIGTERM, started
 * again. `SERVICES` is the list the supervisor knows.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { spawnChild, stopChild, waitFor, type Child, type Exit } from './children.ts'
import { REPO_ROOT } from './paths.ts'

export const SERVICES = {
  release: { entry: 'services/release/src/main.ts', portVar: 'RELEASE_PORT' },
  ingest: { entry: 'services/ingest/src/main.ts', portVar: 'INGEST_PORT' },
  gateway: { entry: 'services/gateway/src/main.ts', portVar: 'GATEWAY_PORT' },
} as const
export type ServiceName = keyof typeof SERVICES

export interface ServiceProcessOptions {
  name: ServiceName
  /** Tells instances of one service apart in logs and reports: `release`, `release-2`. */
  instance: string
  port: number
  env: NodeJS.ProcessEnv
  logDir: string
}

export class ServiceProcess {
  readonly name: ServiceName
  readonly instance: string
  readonly port: number
  readonly url: string
  readonly logFile: string
  readonly #env: NodeJS.ProcessEnv
  #child: Child | undefined
  #stopping = false
  /** How many times this instance was started. */
  starts = 0
  /** Exits nobody asked for (a crash), for the suite to fail on. */
  readonly crashes: string[] = []

  constructor(options: ServiceProcessOptions) {
    this.name = options.name
    this.instance = options.instance
    this.port = options.port
    this.url = `http://127.0.0.1:${options.port}`
    this.logFile = join(options.logDir, `${options.instance}.log`)
    this.#env = { ...options.env, [SERVICES[options.name].portVar]: String(options.port) }
  }

  get pid(): number | undefined {
    return this.#child?.running() ? this.#child.pid : undefined
  }

  running(): boolean {
    return this.#child?.running() ?? false
  }

  /** Resolves when the current process exits. */
  get exited(): Promise<Exit> {
    return this.#child?.exited ?? Promise.resolve({ code: null, signal: null })
  }

  /** Starts the process and waits until `GET /readyz` answers 200. */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    if (this.running()) throw new Error(`${this.instance} is already running`)
    const child = spawnChild(
      this.instance,
      process.execPath,
      ['--import', 'tsx', SERVICES[this.name].entry],
      { cwd: REPO_ROOT, env: this.#env, logFile: this.logFile }
    )
    this.#child = child
    this.#stopping = false
    this.starts++
    void child.exited.then(async (exit) => {
      if (this.#stopping || this.#child !== child) return
      await new Promise((r) => setTimeout(r, 100)) // the log's last lines
      this.crashes.push(
        `${this.instance} exited by itself (${exit.code ?? exit.signal}); its log ends:\n${this.logTail(8)}`
      )
    })
    await waitFor(
      async () => {
        if (!child.running()) {
          throw new Error('exited')
        }
        return (await this.ready()) ? true : undefined
      },
      {
        timeoutMs: readyTimeoutMs,
        intervalMs: 100,
        message: `${this.instance} did not become ready`,
      }
    ).catch((err: unknown) => {
      if (!child.running()) {
        throw new Error(`${this.instance} exited while starting; see ${this.logFile}`)
      }
      throw err
    })
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } catch {
      return '(no log)'
    }
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) })
      await res.body?.cancel()
      return res.ok
    } catch {
      return false
    }
  }

  /** `kill -9`: no cleanup at all, as in a crash or an OOM kill. */
  async kill(): Promise<Exit> {
    if (!this.#child) throw new Error(`${this.instance} was never started`)
    this.#stopping = true
    return stopChild(this.#child, 'SIGKILL')
  }

  /** SIGTERM: the service drains and exits by itself (SIGKILL after `graceMs` if it does not). */
  async terminate(graceMs = 30_000): Promise<Exit & { ms: number }> {
    if (!this.#child) throw new Error(`${this.instance} was never started`)
    this.#stopping = true
    const started = Date.now()
    const exit = await stopChild(this.#child, 'SIGTERM', graceMs)
    return { ...exit, ms: Date.now() - started }
  }
}
