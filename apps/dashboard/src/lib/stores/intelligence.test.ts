/**
 * The release intelligence stores with the live engine: the timeline's merge of pages and live
 * summaries (reading a new release's products once, and again only when it was edited), the
 * report re-read on a newer rev, and computed figures where the newest request wins.
 */
import type {
  DeploymentStats,
  Release,
  ReleaseDetail,
  ReleaseReport,
  TimelineRelease,
} from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { NO_TIMELINE_FILTERS, parseTimelineFilters } from '../filters.ts'
import { LiveSync } from '../live/sync.ts'
import { FakeApi, FakeSocket, msg } from '../live/testing.ts'
import type { ThrottleTimers } from '../live/throttle.ts'

import { MetricsStore } from './metrics.svelte.ts'
import { ReportStore } from './report.svelte.ts'
import { TimelineStore } from './timeline.svelte.ts'

const DAY = (d: number, h = 0) => new Date(Date.UTC(2026, 0, d, h)).toISOString()

function summary(id: string, rev: number, at: string, fields: Partial<Release> = {}): Release {
  return {
    id,
    name: `release ${id}`,
    description: null,
    status: 'in_progress',
    extra_metadata: {},
    created_at: at,
    updated_at: at,
    created_by: null,
    versions_count: 1,
    production: { reached: 0, total: 1, fraction: 0, all: false },
    automatic: false,
    release_date: at,
    end_date: null,
    timeline_at: at,
    environments: null,
    visible_on_charts: true,
    rev,
    ...fields,
  }
}

const entry = (r: Release, products: Array<[string, string]>): TimelineRelease => ({
  ...r,
  products: products.map(([name, version]) => ({
    product_id: `p-${name}`,
    product_name: name,
    version,
  })),
})

const detail = (r: Release, products: Array<[string, string]>): ReleaseDetail => ({
  ...r,
  versions: products.map(([name, version]) => ({
    version_id: `v-${name}-${version}`,
    product_id: `p-${name}`,
    product_name: name,
    version,
    scm_sha: null,
    added_at: r.updated_at,
    added_by: null,
  })),
  progress: { environments: [], rows: [], production: r.production },
})

const FIRST = '/releases/timeline?limit=50'

function connected(seqs: Record<string, number>) {
  const api = new FakeApi()
  const sync = new LiveSync()
  const socket = new FakeSocket()
  sync.connected(socket)
  return { api, sync, socket, ack: () => socket.subscribes.forEach((_, i) => socket.ack(seqs, i)) }
}

const names = (store: TimelineStore) =>
  store.list.map(
    (e) => `${e.name}:${e.products?.map((p) => `${p.product_name}@${p.version}`).join('+') ?? '…'}`
  )

describe('timeline', () => {
  it('shows the first page newest first, and a release that arrives live once its products are read', async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const store = new TimelineStore(api, NO_TIMELINE_FILTERS)
    sync.join(store)
    ack()
    const a = summary('a', 1, DAY(1))
    const b = summary('b', 1, DAY(3))
    await api.answer(FIRST, {
      items: [entry(b, [['web', '2.0']]), entry(a, [['api', '1.0']])],
      next_cursor: null,
    })
    expect(names(store)).toEqual(['release b:web@2.0', 'release a:api@1.0'])

    // an automatic release: the summary has no products, so the release is read in full
    const c = summary('c', 5, DAY(4), { automatic: true, name: 'web 2.1.0' })
    sync.message(msg('releases', 1, { type: 'releases', releases: [c] }))
    expect(names(store)[0]).toBe('web 2.1.0:…')
    expect(store.fresh.has('c')).toBe(true)
    expect(api.pending()).toEqual(['/releases/c'])
    await api.answer('/releases/c', detail(c, [['web', '2.1.0']]))
    expect(names(store)).toEqual(['web 2.1.0:web@2.1.0', 'release b:web@2.0', 'release a:api@1.0'])
  })

  it('reads a release again only when it was edited, not when only its progress moved', async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const store = new TimelineStore(api, NO_TIMELINE_FILTERS)
    sync.join(store)
    ack()
    const a = summary('a', 1, DAY(1))
    await api.answer(FIRST, { items: [entry(a, [['api', '1.0']])], next_cursor: null })
    // a deployment moved its progress: same updated_at, newer rev
    sync.message(
      msg('releases', 1, {
        type: 'releases',
        releases: [{ ...a, rev: 2, production: { reached: 1, total: 1, fraction: 1, all: true } }],
      })
    )
    expect(api.pending()).toEqual([])
    expect(store.list[0]!.production.all).toBe(true)
    expect(names(store)).toEqual(['release a:api@1.0'])
    // a version was added: updated_at moved
    const edited = { ...a, rev: 3, updated_at: DAY(2), versions_count: 2 }
    sync.message(msg('releases', 2, { type: 'releases', releases: [edited] }))
    expect(api.pending()).toEqual(['/releases/a'])
    // the old products stay shown meanwhile; an older copy arriving late changes nothing
    sync.message(msg('releases', 3, { type: 'releases', releases: [{ ...a, rev: 2 }] }))
    expect(store.list[0]!.rev).toBe(3)
    await api.answer(
      '/releases/a',
      detail({ ...edited, rev: 4 }, [
        ['api', '1.0'],
        ['web', '3.0'],
      ])
    )
    expect(names(store)).toEqual(['release a:api@1.0+web@3.0'])
    expect(store.list[0]!.rev).toBe(4)
  })

  it('reads once more when the release changed again while it was being read', async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const store = new TimelineStore(api, NO_TIMELINE_FILTERS)
    sync.join(store)
    ack()
    await api.answer(FIRST, { items: [], next_cursor: null })
    const c = summary('c', 1, DAY(4))
    sync.message(msg('releases', 1, { type: 'releases', releases: [c] }))
    const later = { ...c, rev: 3, updated_at: DAY(5) }
    sync.message(msg('releases', 2, { type: 'releases', releases: [later] }))
    expect(api.pending()).toEqual(['/releases/c'])
    // the read answers with the copy between the two
    await api.answer('/releases/c', detail({ ...c, rev: 2 }, [['web', '1']]))
    expect(api.pending()).toEqual(['/releases/c'])
    await api.answer('/releases/c', detail(later, [['web', '2']]))
    expect(names(store)).toEqual(['release c:web@2'])
    expect(api.pending()).toEqual([])
  })

  it("applies the page's filters to live releases as the API would", async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const filters = parseTimelineFilters(
      new URLSearchParams('status=in_progress&auto=true&product=web&env=production&from=2026-01-02')
    )
    const store = new TimelineStore(api, filters)
    sync.join(store)
    ack()
    await api.answer(
      '/releases/timeline?from=2026-01-02T00%3A00%3A00.000Z&status=in_progress&automatic=true&product=web&environment=production&limit=50',
      { items: [], next_cursor: null }
    )
    const ok = summary('ok', 1, DAY(3), {
      automatic: true,
      environments: [{ id: 'e1', name: 'production' }],
    })
    const manual = summary('manual', 1, DAY(3))
    const early = summary('early', 1, DAY(1), { automatic: true })
    const staging = summary('staging', 1, DAY(3), {
      automatic: true,
      environments: [{ id: 'e2', name: 'staging' }],
    })
    const other = summary('other', 1, DAY(3), { automatic: true })
    sync.message(
      msg('releases', 1, { type: 'releases', releases: [ok, manual, early, staging, other] })
    )
    // only those that pass every other filter are read, for their products
    expect(api.pending().sort()).toEqual(['/releases/ok', '/releases/other'])
    await api.answer('/releases/ok', detail(ok, [['web', '1.0']]))
    await api.answer('/releases/other', detail(other, [['api', '1.0']]))
    expect(store.list.map((e) => e.id)).toEqual(['ok'])
    // and a status change takes it out
    sync.message(
      msg('releases', 2, { type: 'releases', releases: [{ ...ok, rev: 2, status: 'completed' }] })
    )
    expect(store.list).toEqual([])
  })

  it('pages older releases in, keeps them across snapshots, and shows live ones only within the loaded pages', async () => {
    const { api, sync, socket, ack } = connected({ releases: 0 })
    const store = new TimelineStore(api, NO_TIMELINE_FILTERS)
    sync.join(store)
    ack()
    const r = (d: number) => summary(`r${d}`, 1, DAY(d))
    await api.answer(FIRST, { items: [entry(r(9), []), entry(r(8), [])], next_cursor: 'c8' })
    expect(store.list.map((e) => e.id)).toEqual(['r9', 'r8'])
    // a release dated before the loaded pages' end: it waits for its page, unread
    sync.message(msg('releases', 1, { type: 'releases', releases: [r(2)] }))
    expect(api.pending()).toEqual([])
    expect(store.list.map((e) => e.id)).toEqual(['r9', 'r8'])
    void store.more()
    await api.answer('/releases/timeline?limit=50&cursor=c8', {
      items: [entry(r(5), []), entry(r(2), [])],
      next_cursor: null,
    })
    expect(store.list.map((e) => e.id)).toEqual(['r9', 'r8', 'r5', 'r2'])
    expect(store.cursor).toBeNull()
    // a resync: the first page is read again; the older pages stay
    sync.message(msg('releases', 2, { type: 'resync' }))
    await api.answer(FIRST, { items: [entry(r(9), []), entry(r(8), [])], next_cursor: 'c8' })
    expect(store.list.map((e) => e.id)).toEqual(['r9', 'r8', 'r5', 'r2'])
    expect(socket.subscribes).toHaveLength(1)
  })

  it('starts again from the first page when the filters change, dropping answers for the old ones', async () => {
    const { api, sync, ack } = connected({ releases: 0 })
    const store = new TimelineStore(api, NO_TIMELINE_FILTERS)
    sync.join(store)
    ack()
    store.setFilters(parseTimelineFilters(new URLSearchParams('auto=false')))
    const a = summary('a', 1, DAY(1))
    // the read for the old filters answers late: dropped
    await api.answer(FIRST, { items: [entry({ ...a, automatic: true }, [])], next_cursor: null })
    expect(store.loaded).toBe(false)
    // a release that arrives while the new first page is read lands on top of it
    const b = summary('b', 1, DAY(2))
    sync.message(msg('releases', 1, { type: 'releases', releases: [b] }))
    // (the page read started before b existed, and answers after b was read in full)
    const page = '/releases/timeline?automatic=false&limit=50'
    if (api.pending().includes('/releases/b')) {
      await api.answer('/releases/b', detail(b, [['web', '1']]))
    }
    await api.answer(page, { items: [entry(a, [])], next_cursor: null })
    if (api.pending().includes('/releases/b')) {
      await api.answer('/releases/b', detail(b, [['web', '1']]))
    }
    expect(store.list.map((e) => e.id)).toEqual(['b', 'a'])
    expect(api.pending()).toEqual([])
  })
})

function report(rev: number, fields: Partial<ReleaseReport> = {}): ReleaseReport {
  return {
    release: summary('r', rev, DAY(1)),
    metrics: {
      versions: [],
      reached: 0,
      targeted: 0,
      percent: 0,
      first_deployed_at: null,
      first_production_at: null,
      time_to_production: null,
      failures: [],
    },
    new: { since: null, previous_release: null, products: [], environments: [], versions: [] },
    adoption: { targeted: 0, days: [] },
    analyses: [],
    ...fields,
  }
}

describe('report', () => {
  it("reads the report again when the release's room sends a newer rev, and never goes back", async () => {
    const { api, sync, ack } = connected({ 'release:r': 0 })
    const store = new ReportStore(api, 'r')
    sync.join(store)
    ack()
    await api.answer('/releases/r/report', report(2))
    const release = (rev: number) => detail(summary('r', rev, DAY(1)), [])
    sync.message(msg('release:r', 1, { type: 'release', release: release(2) }))
    sync.message(msg('release:r', 2, { type: 'release', release: release(1) }))
    expect(api.pending()).toEqual([])
    sync.message(msg('release:r', 3, { type: 'release', release: release(3) }))
    sync.message(msg('release:r', 4, { type: 'release', release: release(4) }))
    // one read now, one more after it (it may have started before rev 4)
    expect(api.pending()).toEqual(['/releases/r/report'])
    await api.answer('/releases/r/report', report(3, { adoption: { targeted: 2, days: [] } }))
    expect(store.report?.release.rev).toBe(3)
    await api.answer('/releases/r/report', report(4, { adoption: { targeted: 3, days: [] } }))
    expect(store.report?.adoption.targeted).toBe(3)
    expect(api.pending()).toEqual([])
  })
})

describe('computed figures', () => {
  const timers = (): ThrottleTimers & { fire(): void } => {
    const pending: Array<() => void> = []
    return {
      now: () => 0,
      setTimeout: (fn) => pending.push(fn),
      clearTimeout: () => {},
      fire: () => pending.splice(0).forEach((f) => f()),
    }
  }
  const stats = (n: number) => ({ bucket: 'day', markers: [], buckets: [], from: `${n}`, to: '' })

  it('reads on join, then on relevant messages at most once per period; the newest request wins', async () => {
    const { api, sync, ack } = connected({ feed: 0, releases: 0 })
    const t = timers()
    const store = new MetricsStore<DeploymentStats>(api, '/metrics/deployments', {
      rooms: { feed: (m) => m.type === 'deployments', releases: () => true },
      timers: t,
    })
    for (const h of store.handlers) sync.join(h)
    ack()
    expect(api.pending()).toEqual(['/metrics/deployments', '/metrics/deployments'])
    await api.answer('/metrics/deployments', stats(1))
    await api.answer('/metrics/deployments', stats(2))
    expect(store.data?.from).toBe('2')
    sync.message(msg('feed', 1, { type: 'resync' })) // a resync is the engine's: a snapshot read
    await api.answer('/metrics/deployments', stats(3))
    sync.message(msg('releases', 1, { type: 'releases', releases: [] }))
    expect(api.pending()).toHaveLength(1) // at once: the first in its period
    sync.message(msg('feed', 2, { type: 'deployments', deployments: [] }))
    sync.message(msg('releases', 2, { type: 'releases', releases: [] }))
    expect(api.pending()).toHaveLength(1) // the rest wait for the period's end
    t.fire()
    expect(api.pending()).toHaveLength(2)
    // answers in the wrong order: the later request's answer stays
    const [first] = api.pending()
    expect(first).toBe('/metrics/deployments')
    await api.answer('/metrics/deployments', stats(4))
    await api.answer('/metrics/deployments', stats(5))
    expect(store.data?.from).toBe('5')
  })

  it('shows only answers for the path it now wants', async () => {
    const { api, sync, ack } = connected({ feed: 0 })
    const store = new MetricsStore<DeploymentStats>(api, '/metrics/dora', {
      rooms: { feed: () => false },
    })
    for (const h of store.handlers) sync.join(h)
    ack()
    store.show('/metrics/dora?product=web')
    await api.answer('/metrics/dora?product=web', stats(2))
    await api.answer('/metrics/dora', stats(1))
    expect(store.data?.from).toBe('2')
    expect(store.path).toBe('/metrics/dora?product=web')
  })
})
