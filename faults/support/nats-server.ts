/**
 * A private nats-server with JetStream, on a free loopback port and a store directory of its own,
 * that a test may stop, kill and start again (same port, same store), as the faults require.
 * Never the shared server on 4222: other people's tests run against that one.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'

import { freePort, spawnChild, stopChild, waitFor, type Child, type Exit } from './children.ts'
import { hasSyncInterval, natsServerVersion } from './nats-binaries.ts'

export interface NatsServerOptions {
  binary: string
  /** A directory of the caller's; the store, config and log go under it. */
  dir: string
  /**
   * JetStream's fsync interval: 'always' fsyncs every message before its PubAck (the "safe"
   * profile). Unset leaves the server's default (2 minutes).
   */
  syncInterval?: string
}

export class NatsServer {
  readonly binary: string
  readonly version: string
  readonly port: number
  readonly url: string
  readonly syncInterval: string
  readonly #config: string
  readonly #log: string
  #child: Child | undefined

  private constructor(options: NatsServerOptions, port: number) {
    this.binary = options.binary
    this.version = natsServerVersion(options.binary)
    if (options.syncInterval && !hasSyncInterval(this.version)) {
      throw new Error(`nats-server ${this.version} has no sync_interval (2.10+ does)`)
    }
    this.port = port
    this.url = `nats://127.0.0.1:${port}`
    this.syncInterval = options.syncInterval ?? 'default (2m)'
    this.#config = join(options.dir, 'nats.conf')
    this.#log = join(options.dir, 'nats.log')
    const store = join(options.dir, 'jetstream')
    writeFileSync(
      this.#config,
      [
        `listen: 127.0.0.1:${port}`,
        'jetstream {',
        `  store_dir: ${JSON.stringify(store)}`,
        ...(options.syncInterval ? [`  sync_interval: ${options.syncInterval}`] : []),
        '}',
        '',
      ].join('\n')
    )
  }

  static async start(options: NatsServerOptions): Promise<NatsServer> {
    const server = new NatsServer(options, await freePort())
    await server.start()
    return server
  }

  get pid(): number | undefined {
    return this.#child?.running() ? this.#child.pid : undefined
  }

  get logFile(): string {
    return this.#log
  }

  /** Starts it (again, on the same port and store) and waits until JetStream answers. */
  async start(): Promise<void> {
    if (this.#child?.running()) return
    const child = spawnChild('nats-server', this.binary, ['-c', this.#config], {
      logFile: this.#log,
    })
    this.#child = child
    await waitFor(
      async () => {
        if (!child.running()) throw new Error('exited')
        const nc = await connect({ servers: this.url, timeout: 1000, maxReconnectAttempts: 0 })
        try {
          await (await jetstreamManager(nc, { timeout: 1000 })).getAccountInfo()
          return true
        } finally {
          await nc.close()
        }
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: `nats-server did not start (see ${this.#log})`,
      }
    )
  }

  /** SIGTERM is a clean shutdown; SIGKILL is a crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<Exit | undefined> {
    if (!this.#child) return undefined
    return stopChild(this.#child, signal)
  }
}
