/**
 * The engine's timing rules: when it subscribes, when it fetches, what it holds back, and what a
 * gap, a resync, a reconnect or a failed read does. Handlers here just record what they got.
 */
import type { LiveMessage } from '@shiplog/contracts'
import { describe, expect, it, vi } from 'vitest'

import { ApiError, isTransient } from '../api.ts'

import { LiveSync, type RoomHandler } from './sync.ts'
import { FakeSocket, deferred, msg, settle, type Deferred } from './testing.ts'

/** A handler that records snapshots and messages in one log, and whose fetches the test answers. */
class Recorder implements RoomHandler<string> {
  log: string[] = []
  fetches: Array<Deferred<string> & { done: boolean }> = []
  errors: Array<{ error: unknown; retry: boolean }> = []
  constructor(readonly room: string) {}
  fetch() {
    const d = deferred<string>()
    const f = {
      promise: d.promise,
      done: false,
      resolve: (v: string) => ((f.done = true), d.resolve(v)),
      reject: (e: unknown) => ((f.done = true), d.reject(e)),
    }
    this.fetches.push(f)
    return d.promise
  }
  reset(snapshot: string) {
    this.log.push(`snapshot ${snapshot}`)
  }
  apply(message: LiveMessage) {
    this.log.push(`${message.type} ${message.seq}`)
  }
  failed(error: unknown, retry: boolean) {
    this.errors.push({ error, retry })
  }
  async answer(snapshot: string) {
    const f = this.fetches.find((x) => !x.done)
    if (!f) throw new Error('no fetch pending')
    f.resolve(snapshot)
    await settle()
  }
  get pending() {
    return this.fetches.filter((f) => !f.done).length
  }
}

const cells = (room: string, seq: number) => msg(room, seq, { type: 'cells', cells: [] })

/** A room joined on a connected socket, acked at `seq`, its first snapshot in. */
async function joined(seq = 0, room = 'board') {
  const sync = new LiveSync()
  const socket = new FakeSocket()
  sync.connected(socket)
  const handler = new Recorder(room)
  const leave = sync.join(handler)
  socket.ack({ [room]: seq })
  await handler.answer('s1')
  handler.log = []
  return { sync, socket, handler, leave }
}

describe('subscribing', () => {
  it('subscribes a room joined while connected, and reads its snapshot only after the ack', async () => {
    const sync = new LiveSync()
    const socket = new FakeSocket()
    sync.connected(socket)
    const handler = new Recorder('board')
    sync.join(handler)
    expect(socket.subscribes.map((s) => s.rooms)).toEqual([['board']])
    // a read before the join is acknowledged could miss a change made in between
    expect(handler.pending).toBe(0)
    socket.ack({ board: 7 })
    expect(handler.pending).toBe(1)
    expect(sync.lastSeq('board')).toBe(7)
  })

  it('reads a snapshot at once when the socket is down, and subscribes everything on connect', async () => {
    const sync = new LiveSync()
    const board = new Recorder('board')
    const feed = new Recorder('feed')
    sync.join(board)
    sync.join(feed)
    expect(board.pending).toBe(1)
    await board.answer('offline copy')
    expect(board.log).toEqual(['snapshot offline copy'])

    const socket = new FakeSocket()
    sync.connected(socket)
    expect(socket.subscribes.map((s) => s.rooms)).toEqual([['board', 'feed']])
    socket.ack({ board: 3, feed: 9 })
    expect(sync.lastSeq('board')).toBe(3)
    expect(sync.lastSeq('feed')).toBe(9)
    expect(board.pending).toBe(1)
  })

  it('holds messages that come before the ack, and applies them after the snapshot', async () => {
    const sync = new LiveSync()
    const socket = new FakeSocket()
    sync.connected(socket)
    const handler = new Recorder('board')
    sync.join(handler)
    sync.message(cells('board', 5))
    socket.ack({ board: 5 })
    sync.message(cells('board', 6))
    expect(handler.log).toEqual([])
    await handler.answer('s')
    expect(handler.log).toEqual(['snapshot s', 'cells 5', 'cells 6'])
    expect(sync.lastSeq('board')).toBe(6)
  })

  it('applies messages in sequence as they come once the snapshot is in', async () => {
    const { sync, handler } = await joined(4)
    sync.message(cells('board', 5))
    sync.message(cells('board', 6))
    expect(handler.log).toEqual(['cells 5', 'cells 6'])
    expect(handler.pending).toBe(0)
    expect(sync.lastSeq('board')).toBe(6)
  })

  it('ignores messages for rooms it has not joined', async () => {
    const { sync, handler } = await joined(0)
    sync.message(cells('feed', 1))
    expect(handler.log).toEqual([])
  })

  it('asks again when an ack never comes, reading a snapshot meanwhile', async () => {
    vi.useFakeTimers()
    try {
      const sync = new LiveSync({ ackTimeoutMs: 5000 })
      const socket = new FakeSocket()
      sync.connected(socket)
      const handler = new Recorder('board')
      sync.join(handler)
      vi.advanceTimersByTime(5000)
      expect(socket.subscribes).toHaveLength(2)
      expect(handler.pending).toBe(1)
      socket.ack({ board: 1 }, 0) // the first, late: ignored
      expect(sync.lastSeq('board')).toBeNull()
      socket.ack({ board: 2 }, 1)
      expect(sync.lastSeq('board')).toBe(2)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('gaps and order', () => {
  it('refetches on a gap, and applies the message after that snapshot', async () => {
    const { sync, handler } = await joined(4)
    sync.message(cells('board', 6)) // 5 was lost
    expect(handler.pending).toBe(1)
    expect(handler.log).toEqual([])
    sync.message(cells('board', 7))
    await handler.answer('s2')
    expect(handler.log).toEqual(['snapshot s2', 'cells 6', 'cells 7'])
    expect(sync.lastSeq('board')).toBe(7)
  })

  it('refetches when messages arrive out of order, and still applies the late one', async () => {
    const { sync, handler } = await joined(3)
    sync.message(cells('board', 5))
    sync.message(cells('board', 4))
    expect(handler.pending).toBe(1)
    await handler.answer('s2')
    // both land on top of the snapshot; their revs decide what stays (the stores' job)
    expect(handler.log).toEqual(['snapshot s2', 'cells 5', 'cells 4'])
    expect(sync.lastSeq('board')).toBe(5)
  })

  it('applies a repeated message without moving the sequence back', async () => {
    const { sync, handler } = await joined(3)
    sync.message(cells('board', 4))
    sync.message(cells('board', 4))
    sync.message(cells('board', 2))
    expect(handler.log).toEqual(['cells 4', 'cells 4', 'cells 2'])
    expect(handler.pending).toBe(0)
    expect(sync.lastSeq('board')).toBe(4)
    sync.message(cells('board', 5))
    expect(handler.pending).toBe(0)
  })

  it('refetches once more when a gap comes while a snapshot is in flight', async () => {
    const { sync, handler } = await joined(1)
    sync.message(cells('board', 3))
    sync.message(cells('board', 6))
    expect(handler.pending).toBe(1)
    await handler.answer('s2')
    expect(handler.log).toEqual(['snapshot s2', 'cells 3', 'cells 6'])
    // the first read may have started before what message 4 and 5 said
    expect(handler.pending).toBe(1)
    sync.message(cells('board', 7))
    await handler.answer('s3')
    expect(handler.log.slice(3)).toEqual(['snapshot s3', 'cells 7'])
    expect(handler.pending).toBe(0)
  })

  it('refetches on resync and does not hand the resync to the store', async () => {
    const { sync, handler } = await joined(1)
    sync.message(msg('board', 2, { type: 'resync' }))
    expect(handler.pending).toBe(1)
    sync.message(cells('board', 3))
    await handler.answer('s2')
    expect(handler.log).toEqual(['snapshot s2', 'cells 3'])
    expect(sync.lastSeq('board')).toBe(3)
  })
})

describe('reconnecting', () => {
  it('subscribes again and refetches every room after a reconnect, whatever seq the new gateway is at', async () => {
    const { sync, socket, handler } = await joined(40)
    sync.message(cells('board', 41))
    sync.disconnected()
    socket.connected = false
    expect(sync.lastSeq('board')).toBeNull()

    const next = new FakeSocket()
    sync.connected(next)
    expect(next.subscribes.map((s) => s.rooms)).toEqual([['board']])
    sync.message(cells('board', 2)) // a restarted gateway counts from 1 again
    next.ack({ board: 2 })
    expect(sync.lastSeq('board')).toBe(2)
    expect(handler.pending).toBe(1)
    sync.message(cells('board', 3))
    await handler.answer('after reconnect')
    expect(handler.log).toEqual(['cells 41', 'snapshot after reconnect', 'cells 2', 'cells 3'])
  })

  it('ignores the ack of a subscribe made before the connection dropped', async () => {
    const sync = new LiveSync()
    const first = new FakeSocket()
    sync.connected(first)
    const handler = new Recorder('board')
    sync.join(handler)
    sync.disconnected()
    const second = new FakeSocket()
    sync.connected(second)
    first.ack({ board: 100 })
    expect(sync.lastSeq('board')).toBeNull()
    second.ack({ board: 1 })
    expect(sync.lastSeq('board')).toBe(1)
  })

  it('refetches everything on demand (a new token)', async () => {
    const { sync, handler } = await joined(0)
    sync.refreshAll()
    expect(handler.pending).toBe(1)
  })
})

describe('failed reads', () => {
  it('retries a transient failure with backoff and reports it', async () => {
    vi.useFakeTimers()
    try {
      const sync = new LiveSync({ retryable: isTransient, backoffMs: (n) => n * 1000 })
      const handler = new Recorder('board')
      sync.join(handler)
      const down = new ApiError(0, 'network', 'Cannot reach the Shiplog API.')
      handler.fetches[0]!.reject(down)
      await vi.advanceTimersByTimeAsync(0)
      expect(handler.errors).toEqual([{ error: down, retry: true }])
      expect(handler.pending).toBe(0)
      await vi.advanceTimersByTimeAsync(1000)
      expect(handler.pending).toBe(1)
      handler.fetches[1]!.reject(down)
      await vi.advanceTimersByTimeAsync(1000)
      expect(handler.pending).toBe(0) // the second retry waits 2 s
      await vi.advanceTimersByTimeAsync(1000)
      expect(handler.pending).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('does not retry what will not change by retrying (a 404), but applies what it held', async () => {
    const sync = new LiveSync({ retryable: isTransient })
    const socket = new FakeSocket()
    sync.connected(socket)
    const handler = new Recorder('release:x')
    sync.join(handler)
    socket.ack({ 'release:x': 0 })
    sync.message(msg('release:x', 1, { type: 'release', release: {} }))
    const gone = new ApiError(404, 'not_found', 'no release x')
    handler.fetches[0]!.reject(gone)
    await settle()
    expect(handler.errors).toEqual([{ error: gone, retry: false }])
    expect(handler.log).toEqual(['release 1'])
    expect(handler.pending).toBe(0)
  })
})

describe('leaving', () => {
  it('unsubscribes when the last store leaves, and drops what comes after', async () => {
    const { sync, socket, handler, leave } = await joined(0)
    const other = new Recorder('board')
    const leaveOther = sync.join(other)
    await other.answer('s')
    leave()
    expect(socket.unsubscribes).toEqual([])
    sync.message(cells('board', 1))
    expect(handler.log).toEqual([])
    expect(other.log).toEqual(['snapshot s', 'cells 1'])
    leaveOther()
    expect(socket.unsubscribes).toEqual([['board']])
    expect(sync.rooms).toEqual([])
  })

  it('drops a snapshot that arrives after its store left', async () => {
    const sync = new LiveSync()
    const handler = new Recorder('board')
    const leave = sync.join(handler)
    leave()
    await handler.answer('late')
    expect(handler.log).toEqual([])
  })

  it('gives every store on a room its own snapshot and every message', async () => {
    const { sync, handler } = await joined(0)
    const second = new Recorder('board')
    sync.join(second)
    sync.message(cells('board', 1))
    expect(handler.log).toEqual(['cells 1'])
    expect(second.log).toEqual([])
    await second.answer('s')
    expect(second.log).toEqual(['snapshot s', 'cells 1'])
  })
})
