/**
 * Reports events the way a CD tool does: POST, and on 503 or no answer retry the same event (same
 * key), after the Retry-After ingest asked for or a growing delay, for a while, then give up. Every request and answer goes into the ledger, so
 * the checker knows which events were acknowledged; a request answered 2xx is never resent.
 */
import { sleep } from './children.ts'
import type { IngestClient } from './ingest-client.ts'
import type { Ledger, Sent } from './ledger.ts'

export interface ReporterOptions {
  /** How long one event is retried before the tool gives up on it. */
  retryForMs?: number
}

const retryable = (status: number) => status === 0 || status === 503 || status === 502

interface BatchResult {
  index: number
  http_status: number
  id?: string
}

export class Reporter {
  readonly #client: IngestClient
  readonly #ledger: Ledger
  readonly #retryForMs: number

  constructor(client: IngestClient, ledger: Ledger, options: ReporterOptions = {}) {
    this.#client = client
    this.#ledger = ledger
    this.#retryForMs = options.retryForMs ?? 20_000
  }

  /** One event per request, retried until 2xx, a final refusal, or the retry budget is spent. */
  async single(sent: Sent): Promise<void> {
    const { event_id: _id, ...withoutKey } = sent.input
    const body = JSON.stringify(sent.mode === 'header' ? withoutKey : sent.input)
    const headers: Record<string, string> =
      sent.mode === 'header' ? { 'idempotency-key': sent.key } : {}
    sent.firstSentAt = Date.now()
    for (let attempt = 0; ; attempt++) {
      const at = Date.now()
      const answer = await this.#client.post('/v1/deployment-events', body, { headers })
      this.#ledger.attempts.push({
        phase: sent.phase,
        at,
        ms: answer.ms,
        status: answer.status,
        events: 1,
      })
      this.#ledger.answer(sent, answer.status, (answer.body as { id?: string } | undefined)?.id)
      if (!retryable(answer.status)) return
      if (!(await this.#backoff(sent, attempt, answer.retryAfterMs))) return
    }
  }

  /** Events in one batch request; those refused with 503 (or all, on no answer) are retried. */
  async batch(events: Sent[]): Promise<void> {
    let remaining = events
    const now = Date.now()
    for (const s of events) s.firstSentAt = now
    for (let attempt = 0; remaining.length; attempt++) {
      const at = Date.now()
      const answer = await this.#client.post(
        '/v1/deployment-events/batch',
        JSON.stringify({ events: remaining.map((s) => s.input) })
      )
      this.#ledger.attempts.push({
        phase: remaining[0]!.phase,
        at,
        ms: answer.ms,
        status: answer.status,
        events: remaining.length,
      })
      const results = (answer.body as { results?: BatchResult[] } | undefined)?.results
      const again: Sent[] = []
      remaining.forEach((sent, i) => {
        const result = results?.[i]
        const status = result?.http_status ?? answer.status
        this.#ledger.answer(sent, status, result?.id)
        if (retryable(status)) again.push(sent)
      })
      remaining = again
      if (remaining.length && !(await this.#backoff(remaining[0]!, attempt, answer.retryAfterMs))) {
        return
      }
    }
  }

  /** Waits as ingest asked (Retry-After), or with a growing delay when it could not answer. */
  async #backoff(sent: Sent, attempt: number, retryAfterMs?: number): Promise<boolean> {
    const delay = retryAfterMs ?? Math.min(1000, 100 * 2 ** attempt)
    if (Date.now() + delay - sent.firstSentAt > this.#retryForMs) return false
    await sleep(delay)
    return true
  }
}
