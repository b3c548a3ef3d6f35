/**
 * The load generator's record of every event it sent and every answer it got: the history the
 * checker holds Postgres to. Each logical event has a key of its own, carried in the event as
 * `extra_metadata.probe`, so it can be found in Postgres whatever id ingest gave it, and counted
 * if it were ever stored twice.
 */

/** How the event is identified to ingest: its own `event_id`, an `Idempotency-Key` header, or
 *  (no key at all) its content, which ingest hashes when the event names its CI run. */
export type IdMode = 'event_id' | 'header' | 'invoke'

export interface DeploymentInput {
  product_name: string
  version: string
  environment_name: string
  status: string
  [field: string]: unknown
}

export interface Sent {
  key: string
  phase: string
  mode: IdMode
  /** The event id: chosen by us (event_id, header) or learnt from ingest's answer (invoke). */
  id: string | undefined
  input: DeploymentInput
  /** Every answer, in order (0 = no answer). */
  statuses: number[]
  firstSentAt: number
  /** When the first 2xx came (epoch ms). */
  ackedAt: number | undefined
  /** What must become of it: stored in `event`, or (a planted poison) dead-lettered. */
  expect: 'stored' | 'dead-letter'
}

/** One HTTP request (a batch is one), for judging how fast ingest answered during a fault. */
export interface Attempt {
  phase: string
  /** Epoch ms when it was sent. */
  at: number
  ms: number
  status: number
  events: number
}

export class Ledger {
  readonly #sent = new Map<string, Sent>()
  readonly attempts: Attempt[] = []
  #counter = 0

  constructor(readonly run: string) {}

  /** A key unique to this run: `<run>.<phase>.<n>`. */
  nextKey(phase: string): string {
    return `${this.run}.${phase}.${++this.#counter}`
  }

  add(sent: Sent): Sent {
    if (this.#sent.has(sent.key)) throw new Error(`key ${sent.key} sent twice`)
    this.#sent.set(sent.key, sent)
    return sent
  }

  get(key: string): Sent | undefined {
    return this.#sent.get(key)
  }

  phase(phase: string): Sent[] {
    return [...this.#sent.values()].filter((s) => s.phase === phase)
  }

  all(): Sent[] {
    return [...this.#sent.values()]
  }

  answer(sent: Sent, status: number, id?: string): void {
    sent.statuses.push(status)
    if (id && !sent.id) sent.id = id
    if (status >= 200 && status < 300 && sent.ackedAt === undefined) sent.ackedAt = Date.now()
  }
}

export const acked = (s: Sent) => s.ackedAt !== undefined
