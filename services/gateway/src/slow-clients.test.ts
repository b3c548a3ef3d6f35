import { EventEmitter } from 'node:events'

import { describe, expect, it } from 'vitest'

import { closeWhenBacklogged } from './slow-clients.ts'

class FakeConnection extends EventEmitter {
  closed: boolean[] = []
  close(discard?: boolean) {
    this.closed.push(discard ?? false)
  }
  /** Engine.IO's order: a packet is created, then (when the transport is writable) flushed. */
  send(data: string | Uint8Array, writable: boolean) {
    this.emit('packetCreate', { data })
    this.queue.push({ data })
    if (writable) this.drain()
  }
  drain() {
    const packets = this.queue
    this.queue = []
    this.emit('flush', packets)
  }
  private queue: Array<{ data: unknown }> = []
}

const tick = () => new Promise((r) => setImmediate(r))

describe('closeWhenBacklogged', () => {
  it('never closes a client that takes what it is sent, however much', async () => {
    const conn = new FakeConnection()
    closeWhenBacklogged(conn, 1000, () => {})
    for (let i = 0; i < 100; i++) conn.send('x'.repeat(900), true)
    await tick()
    expect(conn.closed).toEqual([])
  })

  it('closes, discarding the backlog, once more than the limit waits, and only once', async () => {
    const conn = new FakeConnection()
    const reported: number[] = []
    closeWhenBacklogged(conn, 1000, (bytes) => reported.push(bytes))
    conn.send('x'.repeat(600), false)
    conn.send('x'.repeat(400), false)
    await tick()
    expect(conn.closed).toEqual([]) // exactly at the limit
    conn.send('x', false)
    conn.send('x'.repeat(5000), false)
    await tick()
    expect(reported).toEqual([6001])
    expect(conn.closed).toEqual([true])
  })

  it('judges a message larger than the limit by whether the client takes it', async () => {
    const conn = new FakeConnection()
    closeWhenBacklogged(conn, 1000, () => {})
    conn.send('x'.repeat(50_000), true)
    await tick()
    expect(conn.closed).toEqual([])
    conn.send('x'.repeat(50_000), false)
    await tick()
    expect(conn.closed).toEqual([true])
  })

  it('counts only what is still queued: flushed packets no longer count', async () => {
    const conn = new FakeConnection()
    closeWhenBacklogged(conn, 1000, () => {})
    conn.send('x'.repeat(800), false)
    conn.drain()
    conn.send('x'.repeat(800), false)
    await tick()
    expect(conn.closed).toEqual([])
  })

  it('counts binary payloads by their bytes', async () => {
    const conn = new FakeConnection()
    closeWhenBacklogged(conn, 1000, () => {})
    conn.send(new Uint8Array(1001), false)
    await tick()
    expect(conn.closed).toEqual([true])
  })
})
