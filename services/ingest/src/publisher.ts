/**
 * Publishing to JetStream, and the version SHA claims that go with it. An event is published
 * with its id as `Nats-Msg-Id`, so JetStream drops a re-post within its dedupe window and says
 * so (`duplicate`). Nothing is published when a check fails, and a publish that cannot be made
 * fails fast with 503 instead of hanging on a NATS that is away.
 */
import { JetStreamApiError } from '@nats-io/jetstream'
import type { KV } from '@nats-io/kv'
import { versionId, type NatsNames, type ShiplogEvent } from '@shiplog/contracts'
import { AppError, type Logger, type Nats } from '@shiplog/kit'

export interface Published {
  seq: number
  duplicate: boolean
}

export interface PublisherOptions {
  nats: Nats
  names: NatsNames
  shas: KV
  log: Logger
  maxInFlight: number
  timeoutMs: number
}

const RETRY_AFTER_SECONDS = '5'

export const unavailable = (message: string) =>
  new AppError('unavailable', message, undefined, { 'Retry-After': RETRY_AFTER_SECONDS })

export function createPublisher({
  nats,
  names,
  shas,
  log,
  maxInFlight,
  timeoutMs,
}: PublisherOptions) {
  let inFlight = 0
  // A version's SHA never changes once claimed, so a claim seen once can be trusted forever.
  const claimed = new Map<string, string>()

  async function claimSha(event: ShiplogEvent): Promise<void> {
    const sha = event.scm_sha
    if (!sha) return
    const id = versionId(event.product_name, event.version)
    let owner = claimed.get(id)
    if (!owner) {
      try {
        await shas.create(id, sha)
        owner = sha
      } catch (err) {
        const entry = await shas.get(id).catch(() => null)
        if (!entry || entry.operation !== 'PUT') {
          log.warn({ err }, 'version SHA claim failed')
          throw unavailable('cannot reach NATS to check the version; retry later')
        }
        owner = entry.string()
      }
      if (claimed.size >= 100_000) claimed.clear()
      claimed.set(id, owner)
    }
    if (owner !== sha) {
      throw new AppError(
        'version_sha_conflict',
        `Version ${event.version} of ${event.product_name} already exists with different SHA (${owner}); a version is immutable`
      )
    }
  }

  async function publish(event: ShiplogEvent): Promise<Published> {
    if (!nats.isConnected()) throw unavailable('NATS is unreachable; retry later')
    if (inFlight >= maxInFlight) throw unavailable('too many events in flight; retry later')
    inFlight++
    try {
      await claimSha(event)
      const ack = await nats.js.publish(names.eventSubject(event.kind), JSON.stringify(event), {
        msgID: event.id,
        timeout: timeoutMs,
        expect: { streamName: names.eventStream },
      })
      return { seq: ack.seq, duplicate: ack.duplicate }
    } catch (err) {
      if (err instanceof AppError) throw err
      log.warn({ err, event: event.id }, 'publish failed')
      if (err instanceof JetStreamApiError) {
        throw unavailable(`the event stream refused the event (${err.message}); retry later`)
      }
      throw unavailable('NATS did not acknowledge the event; retry later')
    } finally {
      inFlight--
    }
  }

  return { publish, inFlight: () => inFlight }
}
export type Publisher = ReturnType<typeof createPublisher>
