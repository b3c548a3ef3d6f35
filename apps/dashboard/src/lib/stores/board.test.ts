/**
 * The board store with the live engine: snapshots and updates in every order converge to the
 * highest revision of every cell; new environments and products are read when a cell names them.
 */
import type { Board, Environment } from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { LiveSync } from '../live/sync.ts'
import { FakeApi, FakeSocket, cell, msg } from '../live/testing.ts'

import { BoardStore } from './board.svelte.ts'

const env = (id: string, type: Environment['type'], name = id): Environment => ({
  id,
  name,
  type,
  display_order: null,
  created_at: '2026-01-01T00:00:00.000Z',
})
const STAGING = env('stg', 'staging')
const PROD = env('prd', 'production')

function board(cells: ReturnType<typeof cell>[], environments = [STAGING, PROD]): Board {
  const products = new Map<string, Board['products'][number]>()
  for (const c of cells) {
    const p = products.get(c.product_id) ?? {
      id: c.product_id,
      name: `${c.product_id}-name`,
      drift: false,
      cells: [],
    }
    p.cells.push(c)
    products.set(c.product_id, p)
  }
  return { environments, products: [...products.values()] }
}

/** The store joined on a connected socket, acked at `seq`, the first snapshot not yet answered. */
function setup(seq = 0) {
  const api = new FakeApi()
  const store = new BoardStore(api)
  const sync = new LiveSync()
  const socket = new FakeSocket()
  sync.connected(socket)
  sync.join(store)
  socket.ack({ board: seq })
  return { api, store, sync, socket }
}

const revs = (store: BoardStore) =>
  Object.fromEntries(
    [...store.cells.values()].map((c) => [`${c.product_id}/${c.environment_id}`, c.rev])
  )
/** A live `cells` message: each cell carries its product's name, as the gateway sends it. */
const cellsMsg = (
  seq: number,
  ...cells: Array<ReturnType<typeof cell> & { product_name?: string }>
) =>
  msg('board', seq, {
    type: 'cells',
    cells: cells.map((c) => ({ product_name: `${c.product_id}-name`, ...c })),
  })

describe('board store', () => {
  it('shows the snapshot, then takes newer cells and ignores older ones', async () => {
    const { api, store, sync } = setup(10)
    await api.answer('/board', board([cell('web', 'stg', 3), cell('web', 'prd', 2)]))
    expect(store.loaded).toBe(true)
    expect(store.rows.map((r) => r.name)).toEqual(['web-name'])

    sync.message(cellsMsg(11, cell('web', 'prd', 4, '2.0.0')))
    expect(store.rows[0]!.cells.get('prd')!.current.version).toBe('2.0.0')
    sync.message(cellsMsg(12, cell('web', 'prd', 3, '1.9.0'))) // older: a late copy
    expect(store.rows[0]!.cells.get('prd')!.current.version).toBe('2.0.0')
    expect(revs(store)).toEqual({ 'web/stg': 3, 'web/prd': 4 })
  })

  it('keeps an update that came during the snapshot over the older copy in the snapshot', async () => {
    const { api, store, sync } = setup(0)
    sync.message(cellsMsg(1, cell('web', 'prd', 8, '3.0.0')))
    await api.answer('/board', board([cell('web', 'prd', 7, '2.9.0')]))
    expect(store.cells.get('web/prd')!.current.version).toBe('3.0.0')
  })

  it('keeps a snapshot newer than the updates held back during it', async () => {
    const { api, store, sync } = setup(0)
    sync.message(cellsMsg(1, cell('web', 'prd', 5)))
    await api.answer('/board', board([cell('web', 'prd', 6, '6.0.0')]))
    expect(store.cells.get('web/prd')!.current.version).toBe('6.0.0')
  })

  it('keeps what it holds when a later snapshot was read before that change', async () => {
    const { api, store, sync, socket } = setup(0)
    await api.answer('/board', board([cell('web', 'prd', 1)]))
    sync.message(cellsMsg(1, cell('web', 'prd', 9, '9.0.0')))
    // reconnect, and the snapshot comes from a read that predates rev 9
    sync.disconnected()
    sync.connected(socket)
    socket.ack({ board: 0 })
    await api.answer('/board', board([cell('web', 'prd', 8, '8.0.0'), cell('api', 'prd', 1)]))
    expect(revs(store)).toEqual({ 'web/prd': 9, 'api/prd': 1 })
  })

  it('refetches after a gap and converges to the database, whatever was lost or reordered', async () => {
    const { api, store, sync } = setup(0)
    await api.answer('/board', board([cell('web', 'prd', 1), cell('api', 'prd', 1)]))
    sync.message(cellsMsg(1, cell('web', 'prd', 2)))
    // message 2 (api → rev 2) is lost; 3 arrives
    sync.message(cellsMsg(3, cell('web', 'prd', 4)))
    expect(api.pending('/board')).toHaveLength(1)
    // 3's late twin and an older copy arrive while the snapshot is in flight
    sync.message(cellsMsg(2, cell('api', 'prd', 2)))
    sync.message(cellsMsg(4, cell('web', 'prd', 3)))
    await api.answer('/board', board([cell('web', 'prd', 3), cell('api', 'prd', 2)]))
    expect(revs(store)).toEqual({ 'web/prd': 4, 'api/prd': 2 })
  })

  it('drops a cell the snapshot no longer has, unless a newer update brought it back', async () => {
    const { api, store, sync } = setup(0)
    await api.answer('/board', board([cell('web', 'prd', 1), cell('old', 'prd', 1)]))
    sync.message(msg('board', 1, { type: 'resync' }))
    sync.message(cellsMsg(2, cell('new', 'prd', 1)))
    await api.answer('/board', board([cell('web', 'prd', 1)]))
    expect(Object.keys(revs(store)).sort()).toEqual(['new/prd', 'web/prd'])
  })

  it('reads the environments again when a cell names one it does not know', async () => {
    const { api, store, sync } = setup(0)
    await api.answer('/board', board([cell('web', 'prd', 1)]))
    expect(store.environments.map((e) => e.id)).toEqual(['stg', 'prd'])
    sync.message(cellsMsg(1, cell('web', 'dev', 1)))
    expect(api.pending('/environments')).toHaveLength(1)
    // a second unknown cell while the read is in flight: one read now, one more after it
    sync.message(cellsMsg(2, cell('web', 'qa', 1)))
    expect(api.pending('/environments')).toHaveLength(1)
    await api.answer('/environments', { items: [PROD, env('dev', 'dev'), STAGING] })
    expect(store.environments.map((e) => e.id)).toEqual(['dev', 'stg', 'prd'])
    await api.answer('/environments', {
      items: [PROD, env('dev', 'dev'), env('qa', 'test'), STAGING],
    })
    expect(store.environments.map((e) => e.id)).toEqual(['dev', 'qa', 'stg', 'prd'])
    expect(api.pending()).toEqual([])
  })

  it("names a new product's row from the live cell, without reading the product", async () => {
    const { api, store, sync } = setup(0)
    await api.answer('/board', board([cell('web', 'prd', 1)]))
    sync.message(cellsMsg(1, { ...cell('fresh', 'prd', 1), product_name: 'billing' }))
    expect(store.rows.map((r) => r.name)).toEqual(['billing', 'web-name'])
    expect(api.calls.filter((c) => c.startsWith('/products'))).toEqual([])
    // and the cell itself is stored as a board cell, without the name
    expect(store.cells.get('fresh/prd')).not.toHaveProperty('product_name')
  })

  it('flags drift when the versions running differ across environments', async () => {
    const { api, store, sync } = setup(0)
    await api.answer(
      '/board',
      board([cell('web', 'stg', 1, '1.0.0'), cell('web', 'prd', 1, '1.0.0')])
    )
    expect(store.rows[0]!.drift).toBe(false)
    sync.message(cellsMsg(1, cell('web', 'stg', 2, '1.1.0')))
    expect(store.rows[0]!.drift).toBe(true)
    // a failed deployment does not change what runs: no drift from it
    sync.message(
      cellsMsg(2, {
        ...cell('web', 'stg', 3, '1.2.0', 'failed'),
        last_success: cell('web', 'stg', 1, '1.0.0').current,
      })
    )
    expect(store.rows[0]!.drift).toBe(false)
  })

  it('says why the board could not be read', async () => {
    const { api, store } = setup(0)
    await api.fail('/board', new Error('The server answered 502.'))
    expect(store.loaded).toBe(false)
    expect(store.error?.message).toBe('The server answered 502.')
  })
})
