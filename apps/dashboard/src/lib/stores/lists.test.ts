/**
 * The releases list, the live feed, one release and one product: each store's merge of snapshots
 * and updates, and the extra reads an update prompts.
 */
import type { BoardCell, Deployment, Environment, Release, ReleaseDetail } from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { LiveSync } from '../live/sync.ts'
import { FakeApi, FakeSocket, cell, msg } from '../live/testing.ts'

import { FeedStore } from './feed.svelte.ts'
import { ProductStore } from './product.svelte.ts'
import { ReleaseStore } from './release.svelte.ts'
import { ReleasesStore } from './releases.svelte.ts'

/** A release as the API sends it (fields the stores do not read are left out). */
function release(id: string, rev: number, fields: Partial<ReleaseDetail> = {}): ReleaseDetail {
  const r = {
    id,
    name: `release ${id}`,
    description: null,
    status: 'draft',
    extra_metadata: {},
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    created_by: null,
    versions_count: 0,
    production: { reached: 0, total: 0, fraction: 0, all: false },
    rev,
    versions: [],
    progress: {
      environments: [],
      rows: [],
      production: { reached: 0, total: 0, fraction: 0, all: false },
    },
    ...fields,
  }
  return r as ReleaseDetail
}

const summary = (r: ReleaseDetail): Release => {
  const { versions: _v, progress: _p, ...rest } = r
  return rest
}

function deployment(id: string, at: string, fields: Partial<Deployment> = {}): Deployment {
  return {
    id,
    product_id: 'web',
    product_name: 'web',
    version_id: 'v1',
    version: '1.0.0',
    environment_id: 'prd',
    environment_name: 'production',
    status: 'completed',
    deployed_at: at,
    started_at: null,
    completed_at: null,
    deployed_by: null,
    deployed_by_email: null,
    deployed_by_name: null,
    source_system: null,
    deploy_url: null,
    build_url: null,
    build_number: null,
    last_event_id: `e-${id}`,
    extra_metadata: null,
    ...fields,
  }
}

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

function connected(seqs: Record<string, number>) {
  const api = new FakeApi()
  const sync = new LiveSync()
  const socket = new FakeSocket()
  sync.connected(socket)
  return { api, sync, socket, ack: () => socket.subscribes.forEach((_, i) => socket.ack(seqs, i)) }
}

describe('releases list', () => {
  it('lists newest first and keeps the highest rev of each release', async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const store = new ReleasesStore(api)
    sync.join(store)
    ack()
    // UUIDv7 ids: later ids are later releases
    const a = summary(release('0190-a', 1))
    const b = summary(release('0190-b', 1))
    sync.message(
      msg('releases', 1, { type: 'releases', releases: [{ ...a, rev: 3, status: 'in_progress' }] })
    )
    await api.answer('/releases?limit=200', { items: [b, a] })
    expect(store.list.map((r) => [r.id, r.rev, r.status])).toEqual([
      ['0190-b', 1, 'draft'],
      ['0190-a', 3, 'in_progress'],
    ])
    const c = summary(release('0190-c', 1))
    sync.message(msg('releases', 2, { type: 'releases', releases: [c, { ...a, rev: 2 }] }))
    expect(store.list.map((r) => [r.id, r.rev])).toEqual([
      ['0190-c', 1],
      ['0190-b', 1],
      ['0190-a', 3],
    ])
  })
})

describe('feed', () => {
  it('orders deployments by their own time, newest first, one row per deployment', async () => {
    const { api, sync, ack } = connected({ feed: 0 })
    const store = new FeedStore(api)
    sync.join(store)
    ack()
    await api.answer('/deployments?limit=100', {
      items: [deployment('b', T(20)), deployment('a', T(10))],
    })
    // a late event (older own time) sorts below; a newer copy of a replaces it in place
    sync.message(
      msg('feed', 1, {
        type: 'deployments',
        deployments: [deployment('late', T(5)), deployment('a', T(30), { status: 'failed' })],
      })
    )
    expect(store.deployments.map((d) => [d.id, d.status])).toEqual([
      ['a', 'failed'],
      ['b', 'completed'],
      ['late', 'completed'],
    ])
    expect([...store.fresh].sort()).toEqual(['a', 'late'])
  })

  it('keeps the copy further along its lifecycle when two have the same time', async () => {
    const { api, sync, ack } = connected({ feed: 0 })
    const store = new FeedStore(api)
    sync.join(store)
    ack()
    await api.answer('/deployments?limit=100', { items: [deployment('a', T(10))] })
    sync.message(
      msg('feed', 1, {
        type: 'deployments',
        deployments: [deployment('a', T(10), { status: 'started' })],
      })
    )
    expect(store.deployments[0]!.status).toBe('completed')
    sync.message(
      msg('feed', 2, {
        type: 'deployments',
        deployments: [deployment('a', T(9), { status: 'failed' })],
      })
    )
    expect(store.deployments[0]!.status).toBe('completed')
  })

  it('keeps at most a hundred deployments', async () => {
    const { api, sync, ack } = connected({ feed: 0 })
    const store = new FeedStore(api)
    sync.join(store)
    ack()
    const many = Array.from({ length: 100 }, (_, i) => deployment(`d${i}`, T(i)))
    await api.answer('/deployments?limit=100', { items: many })
    sync.message(msg('feed', 1, { type: 'deployments', deployments: [deployment('new', T(500))] }))
    expect(store.deployments).toHaveLength(100)
    expect(store.deployments[0]!.id).toBe('new')
    expect(store.deployments.at(-1)!.id).toBe('d1')
  })
})

describe('one release', () => {
  const ID = '0190-r'
  const version = (id: string) => ({
    version_id: id,
    product_id: `p-${id}`,
    product_name: `p-${id}`,
    version: '1.0.0',
    scm_sha: null,
    added_at: T(0),
    added_by: null,
  })

  async function open() {
    const { api, sync, ack } = connected({ [`release:${ID}`]: 0, feed: 0 })
    const store = new ReleaseStore(api, ID)
    sync.join(store)
    sync.join(store.feed)
    ack()
    await api.answer(`/releases/${ID}`, release(ID, 2, { versions: [version('v1')] }))
    await api.answer(`/releases/${ID}/history`, { items: [{ id: 1, action: 'created' }] })
    await api.answer(`/releases/${ID}/deployments`, { items: [deployment('d1', T(1))] })
    return { api, sync, store }
  }

  it('takes a newer release, and reads its history again', async () => {
    const { api, sync, store } = await open()
    expect(store.release!.rev).toBe(2)
    sync.message(
      msg(`release:${ID}`, 1, {
        type: 'release',
        release: release(ID, 3, { status: 'in_progress', versions: [version('v1')] }),
      })
    )
    expect(store.release!.status).toBe('in_progress')
    await api.answer(`/releases/${ID}/history`, {
      items: [
        { id: 1, action: 'created' },
        { id: 2, action: 'status_changed' },
      ],
    })
    expect(store.history.map((h) => h.id)).toEqual([1, 2])
    // an older copy changes nothing and reads nothing
    sync.message(msg(`release:${ID}`, 2, { type: 'release', release: release(ID, 2) }))
    expect(store.release!.status).toBe('in_progress')
    expect(api.pending()).toEqual([])
  })

  it("keeps the feed's deployments of its own versions only, and rereads them when versions change", async () => {
    const { api, sync, store } = await open()
    sync.message(
      msg('feed', 1, {
        type: 'deployments',
        deployments: [
          deployment('d2', T(5), { version_id: 'v1' }),
          deployment('other', T(6), { version_id: 'v9' }),
        ],
      })
    )
    expect(store.deployments.map((d) => d.id)).toEqual(['d2', 'd1'])
    sync.message(
      msg(`release:${ID}`, 1, {
        type: 'release',
        release: release(ID, 3, { versions: [version('v1'), version('v9')] }),
      })
    )
    expect(api.pending(`/releases/${ID}/deployments`)).toHaveLength(1)
    // d3 comes live while that read is in flight; the read predates it
    sync.message(
      msg('feed', 2, {
        type: 'deployments',
        deployments: [deployment('d3', T(7), { version_id: 'v9' })],
      })
    )
    await api.answer(`/releases/${ID}/deployments`, {
      items: [
        deployment('other', T(6), { version_id: 'v9' }),
        deployment('d2', T(5)),
        deployment('d1', T(1)),
      ],
    })
    expect(store.deployments.map((d) => d.id)).toEqual(['d3', 'other', 'd2', 'd1'])
    // v1 removed: its deployments go
    sync.message(
      msg(`release:${ID}`, 2, {
        type: 'release',
        release: release(ID, 4, { versions: [version('v9')] }),
      })
    )
    await api.answer(`/releases/${ID}/deployments`, {
      items: [deployment('other', T(6), { version_id: 'v9' })],
    })
    expect(store.deployments.map((d) => d.id)).toEqual(['d3', 'other'])
  })

  it("takes a partial copy's rows over its own, and reads the release afresh when it cannot", async () => {
    const { api, sync, store } = await open()
    const row = (v: string, state: 'deployed' | 'not_deployed') => ({
      product_id: `p-${v}`,
      product_name: `p-${v}`,
      version_id: v,
      version: '1.0.0',
      in_production: state === 'deployed',
      cells: [
        {
          environment_id: 'prd',
          state,
          status: state === 'deployed' ? 'completed' : null,
          deployment_id: null,
          at: null,
          deployed_by: null,
        },
      ],
    })
    const two = [version('v1'), version('v2')]
    type Row = ReturnType<typeof row>
    const progress = (...rows: Row[]) => ({
      environments: [],
      rows,
      production: { reached: 0, total: 2, fraction: 0, all: false },
    })
    const room = `release:${ID}`
    sync.message(
      msg(room, 1, {
        type: 'release',
        release: release(ID, 3, {
          versions: two,
          progress: progress(row('v1', 'not_deployed'), row('v2', 'not_deployed')),
        }),
      })
    )
    await api.answer(`/releases/${ID}/deployments`, { items: [] })
    await api.answer(`/releases/${ID}/history`, { items: [] })
    // a partial copy: the release at `rev` with these versions, carrying only `rows`
    const partial = (seq: number, rev: number, versions: typeof two, ...rows: Row[]) =>
      sync.message(
        msg(room, seq, {
          type: 'release',
          release: release(ID, rev, { versions, progress: progress(...rows) }),
          partial: true,
        })
      )
    // v2 deployed: only its row comes; v1's stays as held
    partial(2, 4, two, row('v2', 'deployed'))
    expect(store.release!.rev).toBe(4)
    expect(store.release!.progress.rows.map((r) => [r.version_id, r.cells[0]!.state])).toEqual([
      ['v1', 'not_deployed'],
      ['v2', 'deployed'],
    ])
    await api.answer(`/releases/${ID}/history`, { items: [] })
    // an older partial copy is dropped
    partial(3, 3, two, row('v2', 'not_deployed'))
    expect(store.release!.progress.rows[1]!.cells[0]!.state).toBe('deployed')
    expect(api.pending()).toEqual([])
    // rows of versions it does not hold cannot be completed: the release is read afresh
    const three = [...two, version('v3')]
    partial(4, 6, three, row('v3', 'deployed'))
    expect(store.release!.rev).toBe(4)
    const fresh = progress(row('v1', 'deployed'), row('v2', 'deployed'), row('v3', 'deployed'))
    await api.answer(`/releases/${ID}`, release(ID, 6, { versions: three, progress: fresh }))
    await api.answer(`/releases/${ID}/history`, { items: [] })
    expect(store.release!.rev).toBe(6)
    expect(store.release!.progress.rows).toHaveLength(3)
  })

  it('shows the answer to a change at once', async () => {
    const { api, store } = await open()
    const change = store.update({ status: 'cancelled' })
    await api.answer(`PATCH /releases/${ID}`, release(ID, 5, { status: 'cancelled' }))
    await change
    expect(store.release!.status).toBe('cancelled')
    expect(api.pending()).toContain(`/releases/${ID}/history`)
  })
})

describe('one product', () => {
  const PRD: Environment = {
    id: 'prd',
    name: 'production',
    type: 'production',
    display_order: null,
    created_at: T(0),
  }
  const DEV: Environment = { ...PRD, id: 'dev', name: 'dev', type: 'dev' }

  async function open() {
    const { api, sync, ack } = connected({ 'product:web': 0 })
    const store = new ProductStore(api, 'web')
    sync.join(store)
    ack()
    const cells: BoardCell[] = [cell('web', 'prd', 1)]
    await api.answer('/products/web', {
      id: 'web',
      name: 'web',
      created_at: T(0),
      versions_count: 1,
      last_deployed_at: T(1),
      cells,
    })
    await api.answer('/versions?product=web&limit=500', { items: [{ id: 'v1', version: '1.0.0' }] })
    await api.answer('/deployments?product=web&limit=500', { items: [deployment('d1', T(1))] })
    await api.answer('/environments', { items: [PRD, DEV] })
    return { api, sync, store }
  }

  it('groups its deployments per environment in board order, and takes newer cells', async () => {
    const { sync, store, api } = await open()
    expect(store.history.map((h) => h.environment.id)).toEqual(['prd'])
    sync.message(
      msg('product:web', 1, {
        type: 'deployments',
        deployments: [deployment('d2', T(2), { environment_id: 'dev' })],
      })
    )
    sync.message(
      msg('product:web', 2, {
        type: 'cells',
        cells: [cell('web', 'dev', 1), cell('web', 'prd', 2, '2.0.0')],
      })
    )
    expect(store.history.map((h) => [h.environment.id, h.deployments.map((d) => d.id)])).toEqual([
      ['dev', ['d2']],
      ['prd', ['d1']],
    ])
    expect(store.history[1]!.cell!.current.version).toBe('2.0.0')
    expect(api.pending()).toEqual([])
  })

  it('reads its versions again when a deployment names a version it has not listed', async () => {
    const { sync, store, api } = await open()
    sync.message(
      msg('product:web', 1, {
        type: 'deployments',
        deployments: [deployment('d3', T(3), { version_id: 'v2', version: '2.0.0' })],
      })
    )
    await api.answer('/versions?product=web&limit=500', {
      items: [
        { id: 'v2', version: '2.0.0' },
        { id: 'v1', version: '1.0.0' },
      ],
    })
    expect(store.versions.map((v) => v.id)).toEqual(['v2', 'v1'])
  })
})
