/**
 * The NATS connection every service holds, and the idempotent setup of the streams, consumer and
 * KV buckets they share. Setup runs on every boot: create what is missing, update what changed.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node'
import type { NatsNames } from '@shiplog/contracts'

import type { Logger } from './log.ts'

export interface Nats {
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  /** False while the client is reconnecting: callers answer 503 at once instead of waiting. */
  isConnected(): boolean
  /** Runs after every reconnect: whatever was published or sent meanwhile may be lost. */
  onReconnect(listener: () => void): void
  /** Drains subscriptions and closes; safe to call twice. */
  close(): Promise<void>
}

export interface NatsOptions {
  url: string
  name: string
  log: Logger
  /** How long a JetStream request (a publish's PubAck) may take before it fails. */
  timeoutMs?: number
}

export async function connectNats({
  url,
  name,
  log,
  timeoutMs = 5000,
}: NatsOptions): Promise<Nats> {
  const nc = await connect({
    servers: url,
    name,
    // The client's default gives up for good after ~20 s; a service must outlive any NATS outage.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Notice a dead server within seconds, not the default two minutes.
    pingInterval: 10_000,
    maxPingOut: 2,
    // Otherwise every request (each JetStream publish is one) builds two Error objects up front
    // for their stack traces: a tenth of ingest's CPU. Our errors carry their own context.
    noAsyncTraces: true,
  })
  let connected = true
  const reconnectListeners: Array<() => void> = []
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false
        log.warn({ server: s.server }, 'nats disconnected')
      } else if (s.type === 'reconnect') {
        connected = true
        log.info({ server: s.server }, 'nats reconnected')
        for (const listener of reconnectListeners) listener()
      } else if (s.type === 'error') {
        log.error({ err: s.error }, 'nats error')
      }
    }
  })()
  const js = jetstream(nc, { timeout: timeoutMs })
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs })
  let closing: Promise<void> | undefined
  return {
    nc,
    js,
    jsm,
    isConnected: () => connected && !nc.isClosed(),
    onReconnect: (listener) => void reconnectListeners.push(listener),
    close: () =>
      (closing ??= nc.isClosed()
        ? Promise.resolve()
        : nc.drain().catch((err: unknown) => log.warn({ err }, 'nats drain failed'))),
  }
}

const isApiError = (err: unknown, code: number) =>
  err instanceof JetStreamApiError && err.code === code

export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string }
) {
  try {
    await jsm.streams.info(config.name)
    await jsm.streams.update(config.name, config)
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err
    await jsm.streams.add(config)
  }
}

export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string }
) {
  try {
    await jsm.consumers.info(stream, config.durable_name)
    await jsm.consumers.update(stream, config.durable_name, config)
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err
    await jsm.consumers.add(stream, config)
  }
}

export interface EventStreamOptions {
  /** JetStream drops a re-published event id seen within this window (default 2 min). */
  duplicateWindowMs: number
  /** Backlog bound: past it publishes fail and ingest answers 503 rather than buffer. */
  maxBytes: number
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = {
  duplicateWindowMs: 2 * 60_000,
  maxBytes: 1024 ** 3,
}

/**
 * The event stream is a work queue: an event stays until the release service acknowledges it
 * (after its Postgres commit), and only the backlog occupies disk. Ingest and the release service
 * both ensure it, with the same settings, so either may start first.
 */
export function eventStreamConfig(
  names: NatsNames,
  opts: EventStreamOptions = DEFAULT_EVENT_STREAM
) {
  return {
    name: names.eventStream,
    subjects: [names.eventSubjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_bytes: opts.maxBytes,
    max_msg_size: 512 * 1024,
    duplicate_window: nanos(opts.duplicateWindowMs),
    num_replicas: 1,
  } satisfies Partial<StreamConfig> & { name: string }
}

export function eventConsumerConfig(names: NatsNames) {
  return {
    durable_name: names.eventConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.eventSubjects,
    // how long a delivered, unacknowledged event waits before another instance gets it (after
    // a crash, or a message lost between server and client): a batch takes well under a second
    ack_wait: nanos(10_000),
    // Unbounded on the server: the release service decides when a message is poison, so that
    // a Postgres outage (a transient failure) never uses up a good event's deliveries.
    max_deliver: -1,
    max_ack_pending: 2000,
  } satisfies Partial<ConsumerConfig> & { durable_name: string }
}

export async function openKv(nats: Nats, bucket: string, history = 1): Promise<KV> {
  return new Kvm(nats.js).create(bucket, { history, storage: StorageType.File })
}
