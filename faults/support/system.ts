/**
 * A whole Shiplog on private servers: its own nats-server and Postgres cluster on free loopback
 * ports, and each service as a real process, configured the way an operator would (env vars).
 * The fault suite breaks its parts; the benchmark measures it. Everything it starts is stopped,
 * and its scratch directory removed, by `stop()` (or at process exit if a test dies first).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

import { natsNames, type NatsNames } from '@shiplog/contracts'
import { connectNats, createLogger, type Nats } from '@shiplog/kit'
import postgres from 'postgres'

import { freePort } from './children.ts'
import { systemNatsServer } from './nats-binaries.ts'
import { NatsServer } from './nats-server.ts'
import { scratchDir } from './paths.ts'
import { PostgresServer } from './postgres-server.ts'
import { ServiceProcess, type ServiceName } from './services.ts'

export interface SystemOptions {
  /** Names the scratch directory and the NATS namespace. */
  label: string
  /** Started in this order, one instance each (the release service first: it migrates). */
  services: readonly ServiceName[]
  natsBinary?: string
  /** JetStream `sync_interval`; unset is the server's default (2 min). */
  syncInterval?: string
  /** More configuration for every service (RELEASE_MAX_ATTEMPTS, …). */
  serviceEnv?: Record<string, string>
  postgresSettings?: Record<string, string>
}

export interface Backlog {
  /** Events in the stream not yet acknowledged by the release service. */
  messages: number
  /** Events JetStream has stored since the stream was made (duplicates excluded). */
  lastSeq: number
  pending: number
  ackPending: number
}

// Configuration the services would otherwise inherit from whoever runs the tests.
const OURS = /^(SHIPLOG_|RELEASE_|INGEST_|GATEWAY_|DATABASE_URL$|NATS_URL$|LOG_LEVEL$)/
const KEEP = new Set(['SHIPLOG_PG_BIN', 'SHIPLOG_NATS_SERVER'])

export type Sql = postgres.Sql

export class System {
  readonly dir: string
  readonly nats: NatsServer
  readonly postgres: PostgresServer
  readonly names: NatsNames
  readonly databaseUrl: string
  /** The bootstrap token: every scope. */
  readonly token: string
  readonly instances: ServiceProcess[] = []
  readonly #env: NodeJS.ProcessEnv
  readonly #removeDir: () => void
  #sql: Sql | undefined
  #admin: Nats | undefined

  private constructor(
    dir: { path: string; remove(): void },
    nats: NatsServer,
    pg: PostgresServer,
    options: SystemOptions
  ) {
    this.dir = dir.path
    this.#removeDir = () => dir.remove()
    this.nats = nats
    this.postgres = pg
    const namespace = `${options.label.replace(/[^a-z0-9]/g, '').slice(0, 16)}_${randomBytes(3).toString('hex')}`
    this.names = natsNames(namespace)
    this.databaseUrl = pg.url('shiplog')
    this.token = `shp_${randomBytes(24).toString('base64url')}`
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !OURS.test(k) || KEEP.has(k))
    )
    this.#env = {
      ...inherited,
      NATS_URL: nats.url,
      DATABASE_URL: this.databaseUrl,
      SHIPLOG_NAMESPACE: namespace,
      SHIPLOG_BOOTSTRAP_TOKEN: this.token,
      LOG_LEVEL: 'info',
      ...options.serviceEnv,
    }
  }

  static async start(options: SystemOptions): Promise<System> {
    const dir = scratchDir(options.label)
    let nats: NatsServer | undefined
    let pg: PostgresServer | undefined
    try {
      nats = await NatsServer.start({
        binary: options.natsBinary ?? systemNatsServer(),
        dir: dir.path,
        ...(options.syncInterval ? { syncInterval: options.syncInterval } : {}),
      })
      pg = await PostgresServer.create({
        dir: dir.path,
        ...(options.postgresSettings ? { settings: options.postgresSettings } : {}),
      })
      const system = new System(dir, nats, pg, options)
      try {
        for (const name of options.services) await system.addInstance(name)
        return system
      } catch (err) {
        await system.stop()
        throw err
      }
    } catch (err) {
      await nats?.stop('SIGKILL')
      await pg?.destroy()
      dir.remove()
      throw err
    }
  }

  /** A Postgres connection to Shiplog's database (reconnects by itself after an outage). */
  get sql(): Sql {
    this.#sql ??= postgres(this.databaseUrl, {
      max: 4,
      onnotice: () => {},
      connect_timeout: 5,
      types: {
        // int8 values here (sequences, counts) stay far below 2^53, as in the release service
        int8: {
          to: 20,
          from: [20],
          serialize: (x: number) => String(x),
          parse: (x: string) => Number(x),
        },
      },
    })
    return this.#sql
  }

  /** A NATS connection for inspecting streams (reconnects forever, like the services). */
  async admin(): Promise<Nats> {
    this.#admin ??= await connectNats({
      url: this.nats.url,
      name: 'shiplog-faults-admin',
      log: createLogger('admin', 'silent'),
      timeoutMs: 3000,
    })
    return this.#admin
  }

  /** The first instance of a service (or the named instance: `release-2`). */
  service(nameOrInstance: string): ServiceProcess {
    const found =
      this.instances.find((s) => s.instance === nameOrInstance) ??
      this.instances.find((s) => s.name === nameOrInstance)
    if (!found) throw new Error(`no service ${nameOrInstance}`)
    return found
  }

  get ingestUrl(): string {
    return this.service('ingest').url
  }

  get gatewayUrl(): string {
    return this.service('gateway').url
  }

  /**
   * Starts one more instance of a service (its first is `release`, its second `release-2`), with
   * `env` added to its configuration (e.g. another SHIPLOG_LIVE_INTERVAL_MS).
   */
  async addInstance(name: ServiceName, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const taken = new Set(this.instances.map((s) => s.instance))
    let n = 1
    while (taken.has(n === 1 ? name : `${name}-${n}`)) n++
    const instance = new ServiceProcess({
      name,
      instance: n === 1 ? name : `${name}-${n}`,
      port: await freePort(),
      env: { ...this.#env, ...env },
      logDir: this.dir,
    })
    this.instances.push(instance)
    await instance.start()
    return instance
  }

  /** Stops an extra instance for good (SIGTERM) and forgets it. */
  async removeInstance(instance: ServiceProcess): Promise<void> {
    await instance.terminate()
    this.instances.splice(this.instances.indexOf(instance), 1)
  }

  async backlog(): Promise<Backlog> {
    const { jsm } = await this.admin()
    const [stream, consumer] = await Promise.all([
      jsm.streams.info(this.names.eventStream),
      jsm.consumers.info(this.names.eventStream, this.names.eventConsumer),
    ])
    return {
      messages: stream.state.messages,
      lastSeq: stream.state.last_seq,
      pending: consumer.num_pending,
      ackPending: consumer.num_ack_pending,
    }
  }

  /** The last lines of a service's log, for a failure message. */
  logTail(instance: string, lines = 30): string {
    return this.service(instance).logTail(lines)
  }

  logPath(instance: string): string {
    return join(this.dir, `${instance}.log`)
  }

  /** Stops everything and removes the scratch directory, unless `keep` (to read the logs). */
  async stop({ keep = false }: { keep?: boolean } = {}): Promise<void> {
    await Promise.all(this.instances.filter((s) => s.running()).map((s) => s.terminate(15_000)))
    await this.#admin?.close()
    await this.#sql?.end({ timeout: 2 })
    await this.nats.stop('SIGTERM')
    await this.postgres.destroy()
    if (keep || process.env.SHIPLOG_KEEP_SCRATCH) {
      console.log(`kept ${this.dir}: the servers' and services' logs`)
    } else {
      this.#removeDir()
    }
  }
}
