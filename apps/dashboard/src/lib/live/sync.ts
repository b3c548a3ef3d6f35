/**
 * Keeps every joined room in step with the gateway: subscribes on each (re)connect, watches each
 * room's sequence numbers, fetches a snapshot over HTTP after subscribing and after any gap or
 * `resync`, and holds live messages back while a snapshot is in flight so they land on top of it.
 *
 * Plain TypeScript (no Svelte, no Socket.IO): the stores it feeds decide what a message means;
 * this module only decides when to ask for a snapshot and in what order things are applied.
 * Convergence itself comes from the stores keeping, per entity, the copy with the higher `rev`,
 * so applying a stale or duplicated message is harmless and everything here errs on the side of
 * refetching.
 */
import type { LiveMessage, SubscribeAck } from '@shiplog/contracts'

/** What a store gives the engine for one room. */
export interface RoomHandler<Snapshot = unknown> {
  readonly room: string
  /** Reads the room's state over HTTP. */
  fetch(): Promise<Snapshot>
  /** Takes a snapshot in (keeping, per entity, whichever copy has the higher rev). */
  reset(snapshot: Snapshot): void
  /**
   * Applies one live message (never `resync`: the engine handles that). 'refetch': the message
   * cannot be applied to what the store holds, so the room's snapshot is read again.
   */
  apply(message: LiveMessage): void | 'refetch'
  /** A snapshot could not be read; `retry` says whether the engine will try again by itself. */
  failed?(error: unknown, retry: boolean): void
}

/** The part of a Socket.IO client the engine uses (a fake in tests). */
export interface LiveSocket {
  readonly connected: boolean
  emit(event: 'subscribe', rooms: string[], ack: (result: SubscribeAck) => void): unknown
  emit(event: 'unsubscribe', rooms: string[]): unknown
}

export interface SyncOptions {
  /** Whether a failed snapshot is worth retrying (a 404 is not; a dropped connection is). */
  retryable?: (error: unknown) => boolean
  /** Delay before the nth retry of a failed snapshot. */
  backoffMs?: (attempt: number) => number
  /** An ack that has not come by then is given up on, and the rooms are subscribed again. */
  ackTimeoutMs?: number
  setTimeout?: (fn: () => void, ms: number) => unknown
  clearTimeout?: (handle: unknown) => void
}

/** One store's view of a room. */
interface Subscriber {
  handler: RoomHandler
  loading: boolean
  /** A gap or resync came while the snapshot was in flight: fetch once more afterwards. */
  again: boolean
  /** Messages held back until the snapshot in flight (or the one the ack will start) is in. */
  buffer: LiveMessage[]
  attempt: number
  retryTimer: unknown
  left: boolean
}

interface RoomState {
  name: string
  /** Sequence number of the last message accounted for; null until the subscribe is acked. */
  last: number | null
  subscribers: Set<Subscriber>
  /** Identifies the subscribe in flight, so a late ack of an older one is ignored. */
  pending: object | null
}

export class LiveSync {
  readonly #rooms = new Map<string, RoomState>()
  #socket: LiveSocket | null = null
  readonly #retryable: (error: unknown) => boolean
  readonly #backoff: (attempt: number) => number
  readonly #ackTimeoutMs: number
  readonly #setTimeout: (fn: () => void, ms: number) => unknown
  readonly #clearTimeout: (handle: unknown) => void

  constructor(options: SyncOptions = {}) {
    this.#retryable = options.retryable ?? (() => true)
    this.#backoff = options.backoffMs ?? ((n) => Math.min(1000 * 2 ** (n - 1), 30_000))
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.#setTimeout = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms))
    this.#clearTimeout =
      options.clearTimeout ??
      ((h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>))
  }

  /** Rooms joined now (for tests and the connection indicator). */
  get rooms(): string[] {
    return [...this.#rooms.keys()]
  }

  /** The sequence number last accounted for in a room (null: not subscribed yet). */
  lastSeq(room: string): number | null {
    return this.#rooms.get(room)?.last ?? null
  }

  /**
   * Joins a room: the handler gets a snapshot at once (the page has something to show even while
   * the socket is down) and live messages from then on. Returns the leave function.
   */
  join(handler: RoomHandler): () => void {
    let state = this.#rooms.get(handler.room)
    const fresh = !state
    if (!state) {
      state = { name: handler.room, last: null, subscribers: new Set(), pending: null }
      this.#rooms.set(handler.room, state)
    }
    const sub: Subscriber = {
      handler,
      loading: false,
      again: false,
      buffer: [],
      attempt: 0,
      retryTimer: null,
      left: false,
    }
    state.subscribers.add(sub)
    if (fresh && this.#socket?.connected) {
      // the ack starts the snapshot: one read after joining covers everything before it
      this.#subscribe([state])
    } else {
      this.#refresh(sub)
    }
    const room = state
    return () => this.#leave(room, sub)
  }

  /** The socket (re)connected: subscribe to every room again and refetch every snapshot. */
  connected(socket: LiveSocket): void {
    this.#socket = socket
    const rooms = [...this.#rooms.values()]
    for (const room of rooms) room.last = null
    if (rooms.length) this.#subscribe(rooms)
  }

  /** The socket dropped: nothing arrives until it is back, and then everything is refetched. */
  disconnected(): void {
    for (const room of this.#rooms.values()) {
      room.last = null
      room.pending = null
    }
  }

  /** A `live` message from the gateway. */
  message(message: LiveMessage): void {
    const room = this.#rooms.get(message.room)
    if (!room) return // left already; the unsubscribe may still be on its way
    if (room.last === null) {
      // before the ack: the snapshot the ack starts may or may not include this; keep it for after
      for (const sub of room.subscribers) if (message.type !== 'resync') sub.buffer.push(message)
      return
    }
    let refetch = message.type === 'resync'
    if (message.seq === room.last + 1) {
      room.last = message.seq
    } else if (message.seq > room.last + 1) {
      // a gap: messages were lost between, so what they said must be read afresh
      room.last = message.seq
      refetch = true
    }
    // seq <= last: a late or repeated copy. Revisions make applying it harmless.
    for (const sub of room.subscribers) {
      if (refetch) this.#refresh(sub)
      if (message.type === 'resync') continue
      this.#apply(sub, message)
    }
  }

  /** Refetches every room's snapshot (e.g. the token changed). */
  refreshAll(): void {
    for (const room of this.#rooms.values()) for (const sub of room.subscribers) this.#refresh(sub)
  }

  #subscribe(rooms: RoomState[]): void {
    const socket = this.#socket
    if (!socket?.connected) return
    const request = {}
    for (const room of rooms) room.pending = request
    let answered = false
    const timer = this.#setTimeout(() => {
      if (answered) return
      answered = true
      const waiting = rooms.filter((r) => r.pending === request && this.#rooms.get(r.name) === r)
      // no ack: show what HTTP says meanwhile, and ask again if the socket is still up
      for (const room of waiting) for (const sub of room.subscribers) this.#refresh(sub)
      if (waiting.length && this.#socket?.connected) this.#subscribe(waiting)
    }, this.#ackTimeoutMs)
    socket.emit(
      'subscribe',
      rooms.map((r) => r.name),
      (ack) => {
        if (answered) return
        answered = true
        this.#clearTimeout(timer)
        for (const room of rooms) {
          // left meanwhile, or a newer subscribe (after a reconnect) superseded this one
          if (room.pending !== request || this.#rooms.get(room.name) !== room) continue
          room.pending = null
          room.last = ack.ok ? (ack.seqs[room.name] ?? 0) : null
          for (const sub of room.subscribers) this.#refresh(sub)
        }
      }
    )
  }

  #apply(sub: Subscriber, message: LiveMessage): void {
    if (sub.loading) sub.buffer.push(message)
    else if (sub.handler.apply(message) === 'refetch') this.#refresh(sub)
  }

  #refresh(sub: Subscriber): void {
    if (sub.left) return
    if (sub.loading) {
      sub.again = true
      return
    }
    if (sub.retryTimer !== null) {
      this.#clearTimeout(sub.retryTimer)
      sub.retryTimer = null
    }
    sub.loading = true
    sub.again = false
    void this.#load(sub)
  }

  async #load(sub: Subscriber): Promise<void> {
    let failed = false
    try {
      const snapshot = await sub.handler.fetch()
      if (sub.left) return
      sub.handler.reset(snapshot)
      sub.attempt = 0
    } catch (error) {
      if (sub.left) return
      failed = true
      const retry = this.#retryable(error)
      sub.handler.failed?.(error, retry)
      if (retry && !sub.again) {
        sub.attempt++
        sub.retryTimer = this.#setTimeout(() => {
          sub.retryTimer = null
          this.#refresh(sub)
        }, this.#backoff(sub.attempt))
      }
    } finally {
      sub.loading = false
    }
    // what came meanwhile is newer than or as new as the snapshot: it goes on top (by rev)
    const held = sub.buffer
    sub.buffer = []
    for (const message of held) this.#apply(sub, message)
    if (sub.again && !(failed && sub.retryTimer !== null)) this.#refresh(sub)
  }

  #leave(room: RoomState, sub: Subscriber): void {
    if (sub.left) return
    sub.left = true
    sub.buffer = []
    if (sub.retryTimer !== null) this.#clearTimeout(sub.retryTimer)
    room.subscribers.delete(sub)
    if (room.subscribers.size === 0 && this.#rooms.get(room.name) === room) {
      this.#rooms.delete(room.name)
      if (this.#socket?.connected) this.#socket.emit('unsubscribe', [room.name])
    }
  }
}
