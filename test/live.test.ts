/**
 * The live board over real sockets: rooms, sequence numbers, coalescing, auth, resync, and two
 * gateways side by side.
 */
import {
  Room,
  environmentId,
  productId,
  type LiveMessage,
  type ReleaseDetail,
} from '@shiplog/contracts'
import { eventually, sleep } from '@shiplog/testing'
import { io, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { takeRelease } from '../apps/dashboard/src/lib/live/merge.ts'

import { deployment, startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline
let url: string
const sockets: Socket[] = []

beforeAll(async () => {
  p = await startPipeline()
  url = (await p.serveGateway({ intervalMs: 50 })).url
})
afterAll(async () => {
  for (const s of sockets) s.disconnect()
  await p.stop()
})

interface Client {
  socket: Socket
  messages: LiveMessage[]
  subscribe(rooms: string[]): Promise<Record<string, number>>
}

async function connect(token: string | undefined, at = url): Promise<Client> {
  const socket = io(at, {
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnection: false,
  })
  sockets.push(socket)
  const messages: LiveMessage[] = []
  socket.on('live', (m: LiveMessage) => messages.push(m))
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve())
    socket.on('connect_error', reject)
  })
  return {
    socket,
    messages,
    subscribe: (rooms) =>
      new Promise((resolve, reject) =>
        socket.emit(
          'subscribe',
          rooms,
          (ack: { ok: boolean; seqs?: Record<string, number>; error?: unknown }) =>
            ack.ok ? resolve(ack.seqs!) : reject(new Error(JSON.stringify(ack.error)))
        )
      ),
  }
}

async function post(fields: Record<string, unknown>) {
  const res = await p.post('/v1/deployment-events', deployment(fields))
  expect(res.status).toBe(202)
  return (await res.json()) as { id: string; product_id: string }
}

describe('rooms', () => {
  it('pushes the changed board cell, the product, the feed and the release to their rooms', async () => {
    const product = `live-${Date.now()}`
    await post({ product_name: product, version: '1.0.0', environment_name: 'staging' })
    await eventually(async () =>
      expect((await p.api('GET', `/products/${product}`)).status).toBe(200)
    )
    const release = (await p.api('POST', '/releases', { name: 'live release' })).body
    await p.api('POST', `/releases/${release.id}/versions`, {
      product_name: product,
      version: '1.0.0',
    })

    const c = await connect(p.secrets.reader)
    const seqs = await c.subscribe([
      Room.board,
      Room.feed,
      Room.product(productId(product)),
      Room.release(release.id),
    ])
    expect(Object.keys(seqs)).toHaveLength(4)

    const { id } = await post({
      product_name: product,
      version: '1.0.0',
      environment_name: 'production',
      deployed_by: 'ana',
    })
    await eventually(() => {
      const board = c.messages.find(
        (m) =>
          m.room === Room.board &&
          m.type === 'cells' &&
          m.cells.some((x) => x.current.last_event_id === id)
      )
      expect(board).toBeDefined()
      const feed = c.messages.find(
        (m) =>
          m.type === 'deployments' &&
          m.room === Room.feed &&
          m.deployments.some((d) => d.last_event_id === id)
      )
      expect(feed).toBeDefined()
      const rel = c.messages.find(
        (m) => m.type === 'release' && m.release.id === release.id && m.release.production.all
      )
      expect(rel).toBeDefined()
      expect(c.messages.some((m) => m.room === Room.product(productId(product)))).toBe(true)
    })
    const cellMsg = c.messages.find((m) => m.room === Room.board && m.type === 'cells') as Extract<
      LiveMessage,
      { type: 'cells' }
    >
    expect(
      cellMsg.cells.find((x) => x.environment_id === environmentId('production'))
    ).toMatchObject({
      current: { version: '1.0.0', status: 'completed', deployed_by: 'ana' },
      last_success: { version: '1.0.0' },
    })
    // per room, sequence numbers follow on from the ack without gaps
    for (const room of Object.keys(seqs)) {
      const mine = c.messages.filter((m) => m.room === room).map((m) => m.seq)
      expect(mine).toEqual(mine.map((_, i) => seqs[room]! + i + 1))
    }
  })

  it("sends a release's moved rows only, and the whole release when it changes itself", async () => {
    const stamp = Date.now()
    const [a, b, c3] = ['a', 'b', 'c'].map((x) => `rows-${x}-${stamp}`) as [string, string, string]
    for (const product of [a, b, c3]) {
      await post({ product_name: product, version: '2.0.0', environment_name: 'staging' })
    }
    await eventually(async () => expect((await p.api('GET', `/products/${c3}`)).status).toBe(200))
    const release = (await p.api('POST', '/releases', { name: 'rows' })).body
    for (const product of [a, b]) {
      await p.api('POST', `/releases/${release.id}/versions`, {
        product_name: product,
        version: '2.0.0',
      })
    }
    const client = await connect(p.secrets.reader)
    await client.subscribe([Room.release(release.id)])
    let held: ReleaseDetail = (await p.api('GET', `/releases/${release.id}`)).body
    const mine = () =>
      client.messages.filter(
        (m): m is Extract<LiveMessage, { type: 'release' }> =>
          m.type === 'release' && m.release.id === release.id
      )

    // after the room's first (whole) message, a deployment's message carries its row only
    await post({ product_name: a, version: '2.0.0', environment_name: 'production' })
    await eventually(() =>
      expect(mine().some((m) => m.release.production.reached === 1)).toBe(true)
    )
    await post({ product_name: b, version: '2.0.0', environment_name: 'production' })
    await eventually(() =>
      expect(mine().find((m) => m.partial && m.release.production.all)).toBeDefined()
    )
    const partial = mine().find((m) => m.partial && m.release.production.all)!
    expect(partial.release.versions).toHaveLength(2)
    expect(partial.release.progress.rows.map((r) => r.product_name)).toEqual([b])

    // a version added: the whole release, with the new row
    await p.api('POST', `/releases/${release.id}/versions`, { product_name: c3, version: '2.0.0' })
    await eventually(() =>
      expect(mine().find((m) => !m.partial && m.release.versions.length === 3)).toBeDefined()
    )
    expect(
      mine()
        .find((m) => !m.partial && m.release.versions.length === 3)!
        .release.progress.rows.map((r) => r.product_name)
    ).toEqual([a, b, c3])

    // folded over the snapshot by the dashboard's rule, the messages end where the API is
    for (const m of mine()) {
      const next = takeRelease(held, m.release, m.partial)
      expect(next).not.toBe('refetch')
      held = next as ReleaseDetail
    }
    expect(held).toEqual((await p.api('GET', `/releases/${release.id}`)).body)
  })

  it('refuses rooms it does not know', async () => {
    const c = await connect(p.secrets.reader)
    await expect(c.subscribe(['everything'])).rejects.toThrow(/rooms must match/)
  })
})

describe('coalescing', () => {
  it('sends a burst as a few complete messages that end where the database is', async () => {
    const c = await connect(p.secrets.reader)
    await c.subscribe([Room.board])
    const product = `burst-${Date.now()}`
    const events = Array.from({ length: 300 }, (_, i) =>
      deployment({
        product_name: product,
        version: `1.0.${i}`,
        environment_name: `env-${i % 3}`,
        completed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      })
    )
    const started = Date.now()
    for (let i = 0; i < 300; i += 30) {
      await p.post('/v1/deployment-events/batch', events.slice(i, i + 30))
    }
    const board = async () =>
      (await p.api('GET', `/board?product=${product}`)).body.products[0]?.cells ?? []
    await eventually(
      async () => {
        const cells = await board()
        expect(
          cells.map((x: { current: { version: string } }) => x.current.version).sort()
        ).toEqual(['1.0.297', '1.0.298', '1.0.299'])
        // the last message per cell carries what the database says
        const latest = new Map<string, string>()
        for (const m of c.messages) {
          if (m.type === 'cells') {
            for (const x of m.cells) {
              if (x.product_id === productId(product)) {
                latest.set(x.environment_id, x.current.version)
              }
            }
          }
        }
        expect([...latest.values()].sort()).toEqual(['1.0.297', '1.0.298', '1.0.299'])
      },
      { timeout: 20_000 }
    )
    const elapsed = Date.now() - started
    const sent = c.messages.filter((m) => m.room === Room.board).length
    // one flush per 50 ms at most, plus the first
    expect(sent).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2)
    expect(sent).toBeLessThan(100)
  })
})

describe('auth', () => {
  it('wants a token with the read scope', async () => {
    await expect(connect(undefined)).rejects.toMatchObject({ data: { code: 'unauthorized' } })
    await expect(connect('shp_unknown_unknown_unknown')).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    })
    await expect(connect(p.secrets.ingest)).rejects.toMatchObject({ data: { code: 'forbidden' } })
    expect((await connect(p.secrets.writer)).socket.connected).toBe(true)
  })

  it('lets anonymous wall screens in when the operator allows it', async () => {
    const q = await startPipeline({ publicRead: true, startReleases: false })
    try {
      const { url: open } = await q.serveGateway()
      const c = await connect(undefined, open)
      expect(await c.subscribe([Room.board])).toEqual({ board: 0 })
    } finally {
      await q.stop()
    }
  })
})

describe('resync and several gateways', () => {
  it('tells every room to resync when the release service asks', async () => {
    const c = await connect(p.secrets.reader)
    await c.subscribe([Room.board, Room.releases])
    p.nats.nc.publish(
      p.names.updateSubject,
      JSON.stringify({ cells: [], deployments: [], releases: [], events: [], resync: true })
    )
    await eventually(() =>
      expect(
        c.messages
          .filter((m) => m.type === 'resync')
          .map((m) => m.room)
          .sort()
      ).toEqual(['board', 'releases'])
    )
  })

  it('serves the same updates from two gateways side by side', async () => {
    const second = await p.serveGateway({ intervalMs: 50 })
    const a = await connect(p.secrets.reader)
    const b = await connect(p.secrets.reader, second.url)
    await a.subscribe([Room.feed])
    await b.subscribe([Room.feed])
    const { id } = await post({})
    const saw = (c: Client) =>
      c.messages.some(
        (m) => m.type === 'deployments' && m.deployments.some((d) => d.last_event_id === id)
      )
    await eventually(() => expect(saw(a) && saw(b)).toBe(true))
    await second.close()
    await sleep(50)
    expect(b.socket.connected).toBe(false)
  })
})

describe('slow clients', () => {
  it('cuts off a client that stops reading, and only that one', async () => {
    const gateway = await p.serveGateway({ intervalMs: 50, maxBacklogBytes: 256 * 1024 })
    const reader = await connect(p.secrets.reader, gateway.url)
    const stalled = await connect(p.secrets.reader, gateway.url)
    await reader.subscribe([Room.board])
    await stalled.subscribe([Room.board])
    expect(gateway.live.connections()).toBe(2)

    // the stalled client's TCP socket stops being read: the kernel's buffers fill, then
    // Engine.IO's queue for it grows
    const ws = (stalled.socket.io.engine.transport as unknown as { ws: { _socket: TcpSocket } }).ws
    ws._socket.pause()
    const padding = 'x'.repeat(500 * 1024)
    const cutOff = async () => {
      for (let n = 1; n <= 200; n++) {
        // paced by the reader, so a client that reads never has more than one message waiting
        const seen = reader.messages.length
        gateway.live.io.to(Room.board).emit('live', {
          room: Room.board,
          seq: 0,
          type: 'resync',
          padding,
        } as unknown as LiveMessage)
        await eventually(() => expect(reader.messages.length).toBe(seen + 1))
        if (gateway.live.connections() === 1) return n
      }
      return undefined
    }
    const sent = await cutOff()
    expect(sent, 'the stalled client was never cut off').toBeDefined()
    expect(reader.socket.connected).toBe(true)

    ws._socket.resume()
    await eventually(() => expect(stalled.socket.connected).toBe(false))
    expect(reader.socket.connected).toBe(true)
    await gateway.close()
  })
})

interface TcpSocket {
  pause(): void
  resume(): void
}
