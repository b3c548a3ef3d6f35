/**
 * Release intelligence end to end: automatic releases and their settings, manual releases' seed
 * fields, the timeline, release reports on hand-computed fixtures, the chart, DORA.
 */
import { versionId } from '@shiplog/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline
let n = 0
const product = (name: string) => `${name}-${process.pid}-${++n}`
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString()

beforeAll(async () => {
  p = await startPipeline()
})
afterAll(() => p.stop())

const deploy = (fields: Record<string, unknown>) => p.deploy(fields)

const automaticFor = async (name: string) =>
  (await p.api('GET', `/releases/timeline?product=${name}&automatic=true`)).body.items as Array<
    Record<string, any>
  >

describe('automatic releases', () => {
  it('creates one when a new semantic version first reaches production, on the timeline and the chart at once', async () => {
    const svc = product('checkout')
    const at = minutesAgo(5)
    await deploy({
      product_name: svc,
      version: '2.3.0',
      environment_name: 'staging',
      completed_at: minutesAgo(30),
    })
    expect(await automaticFor(svc)).toEqual([])
    const started = Date.now()
    await deploy({ product_name: svc, version: '2.3.0', completed_at: at })
    const [release] = await automaticFor(svc)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(release).toMatchObject({
      name: `${svc} 2.3.0`,
      automatic: true,
      status: 'in_progress',
      release_date: at,
      timeline_at: at,
      visible_on_charts: true,
      created_by: 'shiplog',
      products: [{ product_name: svc, version: '2.3.0' }],
    })
    const chart = (await p.api('GET', `/metrics/deployments?product=${svc}&bucket=hour`)).body
    expect(chart.markers).toEqual([{ id: release!.id, name: `${svc} 2.3.0`, at, automatic: true }])

    // a second production environment, and a redeploy, make no second release
    await deploy({ product_name: svc, version: '2.3.0', environment_name: 'production-eu' })
    await deploy({ product_name: svc, version: '2.3.0' })
    expect(await automaticFor(svc)).toHaveLength(1)
  })

  it('accepts major.minor, v prefixes and suffixes, and ignores build numbers and SHAs', async () => {
    const svc = product('api')
    for (const version of ['3.1', 'v3.2.0', '3.3.0-rc.1+build.7', '12345', '4f2a9c1d', '1.2.3.4']) {
      await deploy({ product_name: svc, version })
    }
    const names = (await automaticFor(svc)).map((r) => r.name).sort()
    expect(names).toEqual([`${svc} 3.1`, `${svc} 3.3.0-rc.1+build.7`, `${svc} v3.2.0`].sort())
  })

  it('skips non-production names, backfills and events older than the horizon', async () => {
    const svc = product('web')
    await deploy({ product_name: `${svc}-test`, version: '1.0.0' })
    await deploy({ product_name: svc, version: '1.0.1', environment_name: 'prod-sandbox' })
    await deploy({ product_name: svc, version: '1.0.2', backfill: true })
    await deploy({ product_name: svc, version: '1.0.3', completed_at: minutesAgo(25 * 60) })
    await deploy({ product_name: svc, version: '1.0.4', status: 'failed' })
    await deploy({ product_name: svc, version: '1.0.5', environment_name: 'staging' })
    expect(await automaticFor(svc)).toEqual([])
    expect(await automaticFor(`${svc}-test`)).toEqual([])
    // a version that was in production before (a backfill) is not new when it is deployed again
    await deploy({ product_name: svc, version: '1.0.2' })
    expect(await automaticFor(svc)).toEqual([])
  })

  it('follows its settings, which only admins change, and records who changed them', async () => {
    expect((await p.api('GET', '/settings/releases', undefined, 'writer')).status).toBe(403)
    const defaults = (await p.api('GET', '/settings/releases')).body
    expect(defaults).toMatchObject({
      auto_detect: true,
      auto_annotate: true,
      exclude_patterns: ['test', 'dev', 'development', 'staging', 'sandbox', 'qa'],
      backfill_horizon_hours: 24,
    })
    const svc = product('mobile')
    const changed = await p.api('PATCH', '/settings/releases', {
      auto_annotate: false,
      exclude_patterns: [...defaults.exclude_patterns, 'canary', '*-preview'],
      backfill_horizon_hours: 48,
    })
    expect(changed.body).toMatchObject({
      auto_annotate: false,
      backfill_horizon_hours: 48,
      updated_by: 'admin-token',
    })
    await deploy({ product_name: svc, version: '5.0.0', environment_name: 'canary' })
    await deploy({ product_name: svc, version: '5.0.1', environment_name: 'prod-preview' })
    await deploy({ product_name: svc, version: '5.0.2', completed_at: minutesAgo(30 * 60) })
    const [release] = await automaticFor(svc)
    expect(release).toMatchObject({ name: `${svc} 5.0.2`, visible_on_charts: false })
    expect(await automaticFor(svc)).toHaveLength(1)

    await p.api('PATCH', '/settings/releases', { auto_detect: false })
    await deploy({ product_name: svc, version: '5.1.0' })
    expect(await automaticFor(svc)).toHaveLength(1)
    const audit = await p.sql`select actor, changes from setting_history order by id`
    expect(audit.map((a) => Object.keys(a.changes).sort())).toEqual([
      ['auto_annotate', 'backfill_horizon_hours', 'exclude_patterns'],
      ['auto_detect'],
    ])
    await p.api('PATCH', '/settings/releases', {
      auto_detect: true,
      auto_annotate: true,
      backfill_horizon_hours: 24,
      exclude_patterns: defaults.exclude_patterns,
    })
    expect((await p.api('PATCH', '/settings/releases', { backfill_horizon_hours: 0 })).status).toBe(
      422
    )
  })

  it("keeps a person's edits to an automatic release", async () => {
    const svc = product('search')
    await deploy({ product_name: svc, version: '7.0.0' })
    const [release] = await automaticFor(svc)
    await p.api(
      'PATCH',
      `/releases/${release!.id}`,
      { name: 'Search 7', description: 'new ranking' },
      'writer'
    )
    await deploy({ product_name: svc, version: '7.0.0', environment_name: 'production-us' })
    const after = (await p.api('GET', `/releases/${release!.id}`)).body
    expect(after).toMatchObject({ name: 'Search 7', description: 'new ranking', automatic: true })
  })
})

describe('manual releases', () => {
  it('take the seed fields: dates, targeted environments, visibility and a version shortcut', async () => {
    const svc = product('billing')
    await deploy({ product_name: svc, version: '9.9.9-beta', environment_name: 'staging' })
    const created = await p.api('POST', '/releases', {
      name: 'Billing beta',
      release_date: '2026-04-01T09:00:00+02:00',
      end_date: '2026-04-15T00:00:00Z',
      environments: ['staging', 'production'],
      visible_on_charts: false,
      version: { product_name: svc, version: '9.9.9-beta' },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      release_date: '2026-04-01T07:00:00.000Z',
      end_date: '2026-04-15T00:00:00.000Z',
      timeline_at: '2026-04-01T07:00:00.000Z',
      environments: [{ name: 'staging' }, { name: 'production' }],
      visible_on_charts: false,
      automatic: false,
      versions: [{ product_name: svc, version: '9.9.9-beta' }],
    })
    const bad = await p.api('POST', '/releases', {
      name: 'x',
      release_date: '2026-04-02T00:00:00Z',
      end_date: '2026-04-01T00:00:00Z',
      environments: ['nowhere'],
    })
    expect(bad.status).toBe(422)
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toContain('end_date')
    const unknown = await p.api('POST', '/releases', {
      name: 'x',
      environments: ['nowhere-at-all'],
    })
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.message).toContain('nowhere-at-all')
    const reset = await p.api('PATCH', `/releases/${created.body.id}`, {
      environments: null,
      visible_on_charts: true,
    })
    expect(reset.body).toMatchObject({ environments: null, visible_on_charts: true })
  })

  it('lets a completed release be hidden from charts, and nothing else', async () => {
    const r = (await p.api('POST', '/releases', { name: 'done', status: 'in_progress' })).body
    await p.api('PATCH', `/releases/${r.id}`, { status: 'completed' })
    expect(
      (await p.api('PATCH', `/releases/${r.id}`, { visible_on_charts: false })).body
        .visible_on_charts
    ).toBe(false)
    expect(
      (await p.api('PATCH', `/releases/${r.id}`, { visible_on_charts: true, name: 'x' })).body.error
        .code
    ).toBe('release_is_final')
  })
})

describe('the timeline', () => {
  it('lists releases newest first by when they shipped, filtered and paged', async () => {
    const tag = product('tl')
    for (const [day, visible] of [
      [3, true],
      [1, false],
      [2, true],
    ] as const) {
      await p.api('POST', '/releases', {
        name: `${tag} day ${day}`,
        release_date: `2026-02-0${day}T00:00:00Z`,
        visible_on_charts: visible,
      })
    }
    const q = 'from=2026-02-01T00:00:00Z&to=2026-02-03T23:00:00Z&automatic=false'
    const all = (await p.api('GET', `/releases/timeline?${q}`)).body.items.filter(
      (r: { name: string }) => r.name.startsWith(tag)
    )
    expect(all.map((r: { name: string }) => r.name)).toEqual([
      `${tag} day 3`,
      `${tag} day 2`,
      `${tag} day 1`,
    ])
    const visible = (await p.api('GET', `/releases/timeline?${q}&visible=true`)).body.items.filter(
      (r: { name: string }) => r.name.startsWith(tag)
    )
    expect(visible).toHaveLength(2)
    const first = (await p.api('GET', `/releases/timeline?${q}&limit=1`)).body
    expect(first.next_cursor).toBeTruthy()
    expect((await p.api('GET', '/releases/timeline?automatic=maybe')).status).toBe(422)
  })
})

describe('the release report', () => {
  it('reports reach, time to production, failures, what is new, adoption and analyses', async () => {
    // Fixture, all times in one day D (8 days ago) unless said:
    //   api 1.0.0 went to prod-a at 02:00; the previous release P (03:00) has api 1.0.0.
    //   Then: api 2.0.0 dev 10:00, staging failed 10:30, staging 11:00, prod-a 12:00;
    //         web (new product) 1.0.0 dev 10:15, prod-a 13:00, prod-b day D+2 09:00.
    //   The release R (api 2.0.0, web 1.0.0) is dated D 12:00 and targets every environment its
    //   products run in: api → dev, staging, prod-a (3); web → dev, prod-a, prod-b (3).
    const day = new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 10)
    const t = (h: number, m = 0, plusDays = 0) =>
      new Date(
        Date.parse(`${day}T00:00:00Z`) + plusDays * 86_400_000 + (h * 60 + m) * 60_000
      ).toISOString()
    const api = product('rpt-api')
    const web = product('rpt-web')
    const [dev, staging, prodA, prodB] = ['dev', 'staging', 'prod-a', 'prod-b'].map(
      (e) => `${e}-${n}`
    )
    for (const env of [prodA, prodB]) {
      await deploy({
        product_name: product('seed'),
        version: '0.0.1',
        environment_name: env,
        completed_at: t(1),
      })
    }
    await p.api('PATCH', `/environments/${prodA}`, { type: 'production' })
    await p.api('PATCH', `/environments/${prodB}`, { type: 'production' })
    await deploy({
      product_name: api,
      version: '1.0.0',
      environment_name: prodA,
      completed_at: t(2),
    })
    const previous = (
      await p.api('POST', '/releases', {
        name: `${api} previous`,
        release_date: t(3),
        version: { product_name: api, version: '1.0.0' },
      })
    ).body

    await deploy({
      product_name: api,
      version: '2.0.0',
      environment_name: dev,
      completed_at: t(10),
    })
    await deploy({
      product_name: api,
      version: '2.0.0',
      environment_name: staging,
      status: 'failed',
      completed_at: t(10, 30),
    })
    await deploy({
      product_name: api,
      version: '2.0.0',
      environment_name: staging,
      completed_at: t(11),
    })
    await deploy({
      product_name: api,
      version: '2.0.0',
      environment_name: prodA,
      completed_at: t(12),
    })
    await deploy({
      product_name: web,
      version: '1.0.0',
      environment_name: dev,
      completed_at: t(10, 15),
    })
    await deploy({
      product_name: web,
      version: '1.0.0',
      environment_name: prodA,
      completed_at: t(13),
    })
    await deploy({
      product_name: web,
      version: '1.0.0',
      environment_name: prodB,
      completed_at: t(9, 0, 2),
    })
    const release = (
      await p.api('POST', '/releases', { name: `${api} + ${web}`, release_date: t(12) })
    ).body
    await p.api('POST', `/releases/${release.id}/versions`, { product_name: api, version: '2.0.0' })
    await p.api('POST', `/releases/${release.id}/versions`, { product_name: web, version: '1.0.0' })

    const added = await p.api(
      'POST',
      `/releases/${release.id}/analyses`,
      { title: 'Checkout funnel', url: 'https://analytics.example/d/42', note: 'watch p95' },
      'writer'
    )
    expect(added.status).toBe(201)
    expect(
      (
        await p.api('POST', `/releases/${release.id}/analyses`, {
          title: 'x',
          url: 'javascript:alert(1)',
        })
      ).status
    ).toBe(422)

    const report = (await p.api('GET', `/releases/${release.id}/report`, undefined, 'reader')).body
    const byProduct = Object.fromEntries(
      report.metrics.versions.map((v: { product_name: string }) => [v.product_name, v])
    )
    expect(byProduct[api]).toMatchObject({
      reached: 3,
      targeted: 3,
      percent: 100,
      first_deployed_at: t(10),
      first_production_at: t(12),
      time_to_production: 2 * 3600,
      failures: 1,
    })
    expect(byProduct[web]).toMatchObject({
      reached: 3,
      targeted: 3,
      first_deployed_at: t(10, 15),
      first_production_at: t(13),
      time_to_production: 2.75 * 3600,
      failures: 0,
    })
    expect(report.metrics).toMatchObject({
      reached: 6,
      targeted: 6,
      percent: 100,
      first_deployed_at: t(10),
      first_production_at: t(12),
      time_to_production: 2 * 3600,
    })
    expect(report.metrics.failures).toEqual([
      { environment_id: expect.any(String), environment_name: staging, count: 1 },
    ])

    expect(report.new.previous_release).toEqual({ id: previous.id, name: `${api} previous` })
    expect(report.new.products.map((x: { name: string }) => x.name)).toEqual([web])
    expect(
      report.new.versions
        .map((v: { product_name: string; version: string }) => `${v.product_name} ${v.version}`)
        .sort()
    ).toEqual([`${api} 2.0.0`, `${web} 1.0.0`].sort())
    expect(report.new.environments.map((e: { name: string }) => e.name).sort()).toEqual(
      [dev, staging].sort()
    )

    // adoption from D (12:00): day D: api dev, staging, prod-a + web dev, prod-a = 5 of 6;
    // D+1: the same; D+2: web prod-b too = 6; then 6 until today (at most 30 days)
    expect(report.adoption.targeted).toBe(6)
    expect(report.adoption.days.slice(0, 3).map((d: { cells: number }) => d.cells)).toEqual([
      5, 5, 6,
    ])
    expect(report.adoption.days[0].date).toBe(day)
    expect(report.adoption.days.length).toBeGreaterThanOrEqual(8)
    expect(report.adoption.days.length).toBeLessThanOrEqual(10)
    expect(report.analyses).toMatchObject([
      {
        title: 'Checkout funnel',
        url: 'https://analytics.example/d/42',
        note: 'watch p95',
        created_by: 'writer-token',
      },
    ])

    const removed = await p.api('DELETE', `/releases/${release.id}/analyses/${added.body.id}`)
    expect(removed.body.items).toEqual([])
    expect((await p.api('GET', `/releases/${release.id}/report`)).body.analyses).toEqual([])
    expect(
      (await p.api('GET', '/releases/01a2007e-16e3-73d2-85c4-f207c5a1390d/report')).status
    ).toBe(404)
  })
})

describe('charts and DORA', () => {
  it('counts finished deployments per bucket by status', async () => {
    const svc = product('chart')
    const base = Date.parse('2026-01-10T00:00:00Z')
    const at = (d: number, h: number) =>
      new Date(base + d * 86_400_000 + h * 3_600_000).toISOString()
    await deploy({ product_name: svc, version: '1', completed_at: at(0, 1) })
    await deploy({ product_name: svc, version: '2', status: 'failed', completed_at: at(0, 2) })
    await deploy({ product_name: svc, version: '3', completed_at: at(2, 5) })
    await deploy({ product_name: svc, version: '4', status: 'started', started_at: at(2, 6) })
    const stats = (
      await p.api(
        'GET',
        `/metrics/deployments?product=${svc}&from=2026-01-10T00:00:00Z&to=2026-01-13T00:00:00Z`
      )
    ).body
    expect(
      stats.buckets.map(
        (b: { at: string; total: number; counts: { completed: number; failed: number } }) => [
          b.at.slice(0, 10),
          b.total,
          b.counts.completed,
          b.counts.failed,
        ]
      )
    ).toEqual([
      ['2026-01-10', 2, 1, 1],
      ['2026-01-11', 0, 0, 0],
      ['2026-01-12', 1, 1, 0],
    ])
    expect(
      (await p.api('GET', '/metrics/deployments?from=2026-01-10T00:00:00Z&to=2026-01-01T00:00:00Z'))
        .status
    ).toBe(422)
  })

  it('computes DORA figures on a hand-computed week', async () => {
    const svc = product('dora')
    const at = (d: number, h: number, m = 0) =>
      new Date(Date.UTC(2026, 0, 20 + d, h, m)).toISOString()
    // builds carry the commit time of each version
    for (const [version, committed] of [
      ['1.0.0', at(0, 8)],
      ['1.1.0', at(2, 7)],
      ['1.2.0', at(3, 0)],
    ] as const) {
      const res = await p.post('/v1/build-events', {
        product_name: svc,
        version,
        status: 'success',
        scm_committed_at: committed,
      })
      expect(res.status).toBe(202)
    }
    await deploy({ product_name: svc, version: '1.0.0', completed_at: at(0, 10) }) // lead 2 h
    await deploy({ product_name: svc, version: '1.1.0', status: 'failed', completed_at: at(2, 9) })
    await deploy({ product_name: svc, version: '1.1.0', completed_at: at(2, 9, 45) }) // lead 2.75 h, recovers the failure in 45 min
    await deploy({ product_name: svc, version: '1.2.0', completed_at: at(4, 0) }) // lead 24 h
    await deploy({
      product_name: svc,
      version: '1.2.0',
      environment_name: 'staging',
      status: 'failed',
      completed_at: at(4, 1),
    }) // not production
    const dora = (
      await p.api(
        'GET',
        `/metrics/dora?product=${svc}&from=2026-01-20T00:00:00Z&to=2026-01-27T00:00:00Z`
      )
    ).body
    expect(dora.overall).toEqual({
      deployments: 3,
      deployment_days: 3,
      days: 7,
      deployments_per_day: 3 / 7,
      lead_time: { median: 2.75 * 3600, p90: (2.75 + 0.8 * (24 - 2.75)) * 3600, samples: 3 },
      change_failure_rate: 1 / 4,
      failed_deployments: 1,
      recovery_time: { median: 45 * 60, p90: 45 * 60, recovered: 1, unrecovered: 0 },
    })
    expect(dora.products).toHaveLength(1)
    expect(Object.keys(dora.definitions).sort()).toEqual([
      'change_failure_rate',
      'deployment_frequency',
      'lead_time',
      'recovery_time',
    ])
    expect(versionId(svc, '1.0.0')).toBeTruthy()
  })
})
