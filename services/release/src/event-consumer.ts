/**
 * The JetStream side of recording events: a durable pull consumer feeding `recordEvents`.
 *
 * Messages that are waiting when one is taken are processed together (up to `maxBatch`), in one
 * transaction, and acknowledged only after it commits. Under light load that is a batch of one
 * (lowest latency); under heavy load batches grow (highest throughput). A crash between commit
 * and ack redelivers the batch, which the event table's primary key turns into a no-op.
 *
 * Failures: a transient one (Postgres away) naks the batch with a delay and pauses; a batch that
 * fails for another reason is retried one message at a time to find the culprit, and a message
 * that keeps failing on its own is dead-lettered after `maxAttempts` deliveries, so it never
 * blocks the rest.
 */
import type { JsMsg } from '@nats-io/jetstream'
import { ShiplogEvent, type NatsNames } from '@shiplog/contracts'
import type { Logger, Nats } from '@shiplog/kit'
import { z } from 'zod'

import type { Db, Sql } from './db.ts'
import { KnownCatalog } from './catalog.ts'
import { isTransient } from './errors.ts'
import { recordEvents, type AfterRecord, type IncomingEvent, type RecordResult } from './record.ts'

export interface EventConsumerOptions {
  nats: Nats
  names: NatsNames
  sql: Sql
  log: Logger
  maxBatch?: number
  maxAttempts?: number
  /** First retry delay of a failing message; doubles with each delivery (capped at 30 s). */
  retryBaseMs?: number
  /** Runs inside the recording transaction (release progress). */
  after?: AfterRecord
  /** Runs after commit and ack (live updates). */
  onRecorded?: (result: RecordResult) => void
}

export interface EventConsumer {
  stop(): Promise<void>
  /** Messages taken from the stream and not yet acknowledged or nak'ed. */
  inFlight(): number
}

interface Parsed extends IncomingEvent {
  msg: JsMsg
}

export function startEventConsumer(options: EventConsumerOptions): EventConsumer {
  const {
    nats,
    names,
    sql,
    log,
    maxBatch = 500,
    maxAttempts = 5,
    retryBaseMs = 1000,
    after,
    onRecorded,
  } = options
  let stopped = false
  let inFlight = 0
  let current: { close(): Promise<unknown> } | undefined
  let transientFailures = 0
  // what this process knows is stored already: products, environments, versions (catalog.ts)
  const known = new KnownCatalog()

  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const backoff = () => Math.min(5000, 250 * 2 ** Math.min(transientFailures, 5))

  // Messages arrive by callback into `queue`; one worker takes whatever has accumulated (up to
  // maxBatch) each time it is free. The consumer's max_ack_pending bounds the queue.
  const queue: JsMsg[] = []
  let wake: (() => void) | undefined
  const arrived = () => new Promise<void>((resolve) => (wake = resolve))

  async function pull() {
    while (!stopped) {
      try {
        const consumer = await nats.js.consumers.get(names.eventStream, names.eventConsumer)
        const messages = await consumer.consume({
          max_messages: Math.max(maxBatch * 2, 100),
          callback: (m) => {
            queue.push(m)
            inFlight++
            wake?.()
          },
        })
        current = messages
        await messages.closed()
      } catch (err) {
        if (!stopped) log.warn({ err }, 'event consumer interrupted; restarting')
      }
      if (!stopped) await pause(1000)
    }
  }

  async function work() {
    while (!stopped || queue.length) {
      if (!queue.length) {
        await arrived()
        continue
      }
      const taken = queue.splice(0, maxBatch)
      try {
        await handle(taken)
      } catch (err) {
        log.error({ err }, 'event batch failed unexpectedly; will be redelivered')
      } finally {
        inFlight -= taken.length
      }
    }
  }

  async function handle(msgs: JsMsg[]) {
    const parsed: Parsed[] = []
    for (const msg of msgs) {
      const event = parse(msg)
      if (event.success) parsed.push({ seq: msg.seq, event: event.data, msg })
      else await deadLetter(msg, `not a Shiplog event: ${event.error}`)
    }
    if (!parsed.length) return
    try {
      const result = await recordEvents(sql, parsed, after, known)
      for (const p of parsed) p.msg.ack()
      transientFailures = 0
      onRecorded?.(result)
    } catch (err) {
      if (isTransient(err)) return retryLater(parsed, err)
      // a database restored from a backup could make the memory of stored rows wrong
      known.forget()
      if (parsed.length === 1) return failedAlone(parsed[0]!, err)
      log.warn({ err, size: parsed.length }, 'batch failed; retrying its messages one by one')
      for (const p of parsed) await handle([p.msg])
    }
  }

  async function retryLater(parsed: Parsed[], err: unknown) {
    transientFailures++
    const delay = backoff()
    log.warn(
      { err: describe(err), messages: parsed.length, retryInMs: delay },
      'postgres unavailable; will retry'
    )
    for (const p of parsed) p.msg.nak(delay)
    await pause(delay)
  }

  async function failedAlone(p: Parsed, err: unknown) {
    const deliveries = p.msg.info.deliveryCount
    if (deliveries < maxAttempts) {
      log.warn({ err, seq: p.seq, event: p.event.id, deliveries }, 'event failed; will retry')
      p.msg.nak(Math.min(30_000, retryBaseMs * 2 ** (deliveries - 1)))
      return
    }
    await deadLetter(p.msg, describe(err))
  }

  async function deadLetter(msg: JsMsg, error: string) {
    try {
      await insertDeadLetter(sql, msg, error)
      msg.term()
      log.error(
        { seq: msg.seq, subject: msg.subject, deliveries: msg.info.deliveryCount, error },
        'dead-lettered'
      )
    } catch (err) {
      // could not even store it (Postgres away): keep it in the stream and try again later
      log.warn({ err: describe(err), seq: msg.seq }, 'dead-lettering failed; will retry')
      msg.nak(backoff())
    }
  }

  void pull()
  const worker = work()

  return {
    inFlight: () => inFlight,
    async stop() {
      stopped = true
      await current?.close()
      // the messages already taken finish (commit, ack) before stop resolves
      wake?.()
      await worker
    },
  }
}

function parse(
  msg: JsMsg
): { success: true; data: ShiplogEvent } | { success: false; error: string } {
  let json: unknown
  try {
    json = msg.json()
  } catch {
    return { success: false, error: 'payload is not JSON' }
  }
  const result = ShiplogEvent.safeParse(json)
  return result.success ? result : { success: false, error: z.prettifyError(result.error) }
}

async function insertDeadLetter(db: Db, msg: JsMsg, error: string) {
  await db`
    insert into dead_letter (stream_seq, subject, data, error, deliveries)
    values (${msg.seq}, ${msg.subject}, ${Buffer.from(msg.data)}, ${error.slice(0, 4000)}, ${msg.info.deliveryCount})
    on conflict (stream_seq) do nothing`
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code
    return code ? `${code}: ${err.message}` : err.message
  }
  return String(err)
}
