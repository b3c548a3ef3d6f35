/**
 * Test doubles for the live engine: a socket whose acks and messages the test drives, an API
 * whose answers the test releases one at a time, and message builders. Used by *.test.ts only.
 */
import type { BoardCell, CellDeployment, LiveMessage, SubscribeAck } from '@shiplog/contracts'

import type { Api } from '../api.ts'

import type { LiveSocket } from './sync.ts'

export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Lets every pending promise callback run. */
export const settle = () => new Promise<void>((r) => setTimeout(r, 0))

export class FakeSocket implements LiveSocket {
  connected = true
  subscribes: Array<{ rooms: string[]; ack: (r: SubscribeAck) => void }> = []
  unsubscribes: string[][] = []

  emit(event: 'subscribe' | 'unsubscribe', rooms: string[], ack?: (r: SubscribeAck) => void) {
    if (event === 'subscribe') this.subscribes.push({ rooms, ack: ack! })
    else this.unsubscribes.push(rooms)
    return this
  }

  /** Acks the newest subscribe with these room seqs. */
  ack(seqs: Record<string, number>, which = this.subscribes.length - 1) {
    const s = this.subscribes[which]
    if (!s) throw new Error('no subscribe to ack')
    s.ack({ ok: true, seqs })
  }
}

/**
 * An API whose GETs wait until the test answers them: `answer(path, body)` answers the oldest
 * pending call to that path. Every call is recorded in `calls`.
 */
export class FakeApi implements Api {
  calls: string[] = []
  readonly #pending: Array<{ path: string; d: Deferred<unknown> }> = []
  /** Answers given ahead of the call, by path. */
  readonly #canned = new Map<string, unknown>()

  get<T>(path: string): Promise<T> {
    this.calls.push(path)
    if (this.#canned.has(path)) return Promise.resolve(this.#canned.get(path) as T)
    const d = deferred<unknown>()
    this.#pending.push({ path, d })
    return d.promise as Promise<T>
  }

  send<T>(method: string, path: string): Promise<T> {
    return this.get<T>(`${method} ${path}`)
  }

  /** Every later call to this path is answered with this at once. */
  always(path: string, body: unknown) {
    this.#canned.set(path, body)
  }

  pending(path?: string): string[] {
    return this.#pending.filter((p) => !path || p.path === path).map((p) => p.path)
  }

  answer(path: string, body: unknown) {
    this.#take(path).resolve(body)
    return settle()
  }

  fail(path: string, error: unknown) {
    this.#take(path).reject(error)
    return settle()
  }

  #take(path: string) {
    const i = this.#pending.findIndex((p) => p.path === path)
    if (i < 0) throw new Error(`no pending call to ${path}; pending: ${this.pending().join(', ')}`)
    return this.#pending.splice(i, 1)[0]!.d
  }
}

export const msg = (room: string, seq: number, body: Record<string, unknown>) =>
  ({ room, seq, ...body }) as LiveMessage

export function cellDeployment(version: string, status: CellDeployment['status'] = 'completed') {
  return {
    id: `dep-${version}`,
    version_id: `ver-${version}`,
    version,
    status,
    deployed_at: '2026-01-01T00:00:00.000Z',
    deployed_by: null,
    deploy_url: null,
    last_event_id: `evt-${version}`,
  } satisfies CellDeployment
}

export function cell(
  product: string,
  environment: string,
  rev: number,
  version = `1.0.${rev}`,
  status: CellDeployment['status'] = 'completed'
): BoardCell {
  const current = cellDeployment(version, status)
  return {
    product_id: product,
    environment_id: environment,
    current,
    last_success: status === 'completed' ? current : null,
    rev,
  }
}
