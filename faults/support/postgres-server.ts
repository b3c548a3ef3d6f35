/**
 * A private Postgres cluster (initdb + pg_ctl) on a free loopback port, that a test may stop and
 * start again, as the faults require. Never the shared server on 5432.
 *
 * Postgres refuses to run as root, so when we are root its tools run as the `postgres` user, from
 * a directory it can read, on a data directory it owns below a parent it can traverse (.ci/run
 * does the same in bash). Its Unix socket goes to a directory of ours, so it never collides with
 * the system cluster's.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { freePort, onExit, run, runAsync } from './children.ts'

export interface PostgresServerOptions {
  /** A directory of the caller's; the cluster, its socket and its log go under it. */
  dir: string
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>
}

/** `SHIPLOG_PG_BIN` (set by .ci/run), else the newest /usr/lib/postgresql/<n>/bin. */
export function postgresBin(): string {
  const fromEnv = process.env.SHIPLOG_PG_BIN
  if (fromEnv) return fromEnv
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(a) - Number(b))
    : []
  const newest = versions.at(-1)
  if (!newest) {
    throw new Error(
      'no Postgres binaries found: `apt-get install postgresql` or set SHIPLOG_PG_BIN'
    )
  }
  return join(base, newest, 'bin')
}

const isRoot = () => process.getuid?.() === 0

export class PostgresServer {
  readonly port: number
  readonly bin: string
  readonly version: string
  readonly #data: string
  readonly #run: string
  readonly #settings: Record<string, string>
  #removeExitHook: (() => void) | undefined

  private constructor(options: PostgresServerOptions, port: number) {
    this.port = port
    this.bin = postgresBin()
    this.#data = join(options.dir, 'pg-data')
    this.#run = join(options.dir, 'pg-run')
    this.#settings = options.settings ?? {}
    this.version =
      /(\d+(?:\.\d+)?)/.exec(run(join(this.bin, 'postgres'), ['--version']))?.[1] ?? '?'
  }

  static async create(options: PostgresServerOptions): Promise<PostgresServer> {
    const server = new PostgresServer(options, await freePort())
    chmodSync(options.dir, 0o755)
    mkdirSync(server.#data, { mode: 0o700 })
    mkdirSync(server.#run, { mode: 0o755 })
    if (isRoot()) run('chown', ['postgres:postgres', server.#data, server.#run])
    await server.#tool('initdb', [
      '-D',
      server.#data,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
    ])
    await server.start()
    return server
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  get logFile(): string {
    return join(this.#run, 'postgres.log')
  }

  /** The postmaster's pid while it runs (its backends are its children). */
  get pid(): number | undefined {
    try {
      return Number(readFileSync(join(this.#data, 'postmaster.pid'), 'utf8').split('\n')[0])
    } catch {
      return undefined
    }
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.#run}`,
      ...Object.entries(this.#settings).map(([k, v]) => `-c ${k}=${v}`),
    ].join(' ')
    await this.#tool('pg_ctl', [
      '-D',
      this.#data,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ])
    // a test that fails (or a Ctrl-C) must not leave a cluster running
    this.#removeExitHook ??= onExit(() => {
      if (existsSync(join(this.#data, 'postmaster.pid'))) {
        const [command, args] = this.#command('pg_ctl', [
          '-D',
          this.#data,
          '-m',
          'immediate',
          'stop',
        ])
        run(command, args, { cwd: '/' })
      }
    })
  }

  /** `fast` is a clean shutdown; `immediate` is a crash (the next start replays the WAL). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!existsSync(join(this.#data, 'postmaster.pid'))) return
    await this.#tool('pg_ctl', ['-D', this.#data, '-m', mode, '-w', '-t', '60', 'stop'])
  }

  /** Stops the cluster; the caller removes its directory. */
  async destroy(): Promise<void> {
    await this.stop('immediate')
    this.#removeExitHook?.()
    this.#removeExitHook = undefined
  }

  #tool(name: string, args: string[]): Promise<string> {
    const [command, argv] = this.#command(name, args)
    return runAsync(command, argv, { cwd: '/' })
  }

  #command(name: string, args: string[]): [string, string[]] {
    const binary = join(this.bin, name)
    return isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args]
  }
}
