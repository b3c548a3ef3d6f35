/**
 * Release intelligence read from Postgres: the timeline, release reports, deployment charts, DORA
 * metrics and the settings of automatic releases.
 */
import {
  DEFAULT_RELEASE_SETTINGS,
  DORA_DEFINITIONS,
  type Analysis,
  type DeploymentStats,
  type DoraReport,
  type ReleaseReport,
  type ReleaseSettings,
  type Status,
  type TimelineRelease,
} from '@shiplog/contracts'

import { decodeCursor, encodeCursor } from '../cursor.ts'
import { computeAdoption } from '../metrics/adoption.ts'
import { figuresFromCounts } from '../metrics/dora.ts'
import { DAY_MS, seconds } from '../metrics/stats.ts'

import type { Sql } from './db.ts'
import { RELEASE_COLUMNS, readRelease } from './releases.ts'

export interface TimelineQuery {
  from?: string
  to?: string
  status?: string[]
  automatic?: boolean
  visible?: boolean
  product?: string
  environment?: string
  limit: number
  cursor?: string
}

/** Every release, automatic and manual, newest first by when it shipped. */
export async function readTimeline(sql: Sql, q: TimelineQuery) {
  const after = decodeCursor(q.cursor, 2)
  // The limit is written into the statement (a validated integer): as a parameter, the prepared
  // statement's generic plan would assume a tenth of all releases per page and read every version
  // by a full scan to list the page's products.
  const limit = sql.unsafe(String(Math.trunc(q.limit) + 1))
  const rows = await sql<TimelineRelease[]>`
    with page as (
      select r.* from release r
      where true
        ${q.from ? sql`and r.timeline_at >= ${q.from}` : sql``}
        ${q.to ? sql`and r.timeline_at <= ${q.to}` : sql``}
        ${q.status?.length ? sql`and r.status = any(${q.status})` : sql``}
        ${q.automatic !== undefined ? sql`and r.automatic = ${q.automatic}` : sql``}
        ${q.visible !== undefined ? sql`and r.visible_on_charts = ${q.visible}` : sql``}
        ${
          // from the product's own releases (release_version_product_idx), then newest first:
          // walking every release newest first until a page of the product's turns up reads
          // thousands of releases for a product in one in fifty
          q.product
            ? sql`and r.id = any(array(select release_id from release_version where product_id = ${q.product}::uuid))`
            : sql``
        }
        ${q.environment ? sql`and (r.environments is null or ${q.environment}::uuid = any(r.environments))` : sql``}
        ${after ? sql`and (r.timeline_at, r.id) < (${after[0]!}::timestamptz, ${after[1]!}::uuid)` : sql``}
      order by r.timeline_at desc, r.id desc
      limit ${limit}
    ), products as (
      -- the versions of the whole page in one pass, rather than one look-up per release
      select rv.release_id,
        json_agg(json_build_object('product_id', p.id, 'product_name', p.name, 'version', v.version) order by p.name) as products
      from page join release_version rv on rv.release_id = page.id
      join version v on v.id = rv.version_id join product p on p.id = rv.product_id
      group by rv.release_id
    )
    select ${sql.unsafe(RELEASE_COLUMNS)}, coalesce(pv.products, '[]') as products
    from page r left join products pv on pv.release_id = r.id
    order by r.timeline_at desc, r.id desc`
  const items = rows.slice(0, q.limit)
  const last = items.at(-1)
  return {
    items,
    next_cursor: rows.length > q.limit && last ? encodeCursor([last.timeline_at, last.id]) : null,
  }
}

export function readAnalyses(sql: Sql, releaseId: string) {
  return sql<Analysis[]>`
    select id, release_id, title, url, note, iso(created_at) as created_at, created_by
    from release_analysis where release_id = ${releaseId}::uuid order by created_at, id`
}

export async function readReport(
  sql: Sql,
  id: string,
  now = new Date()
): Promise<ReleaseReport | undefined> {
  const release = await readRelease(sql, id)
  if (!release) return undefined
  const { versions, progress: _progress, ...summary } = release
  const versionIds = versions.map((v) => v.version_id)
  const productIds = [...new Set(versions.map((v) => v.product_id))]

  const [environments, runsIn, history, analyses] = await Promise.all([
    sql<Array<{ id: string; name: string; type: string }>>`select id, name, type from environment`,
    sql<Array<{ product_id: string; environment_id: string }>>`
      select product_id, environment_id from environment_state where product_id = any(${productIds}::uuid[])`,
    // per version, environment and status: first time, and how many
    sql<
      Array<{
        version_id: string
        environment_id: string
        status: Status
        first_at: string
        n: number
      }>
    >`
      select version_id, environment_id, status, iso(min(occurred_at)) as first_at, count(*)::int as n
      from event
      where kind = 'deployment' and outcome = 'applied' and version_id = any(${versionIds}::uuid[])
      group by version_id, environment_id, status`,
    readAnalyses(sql, id),
  ])
  const envById = new Map(environments.map((e) => [e.id, e]))
  const isProduction = (envId: string) => envById.get(envId)?.type === 'production'
  const targetsOf = (productId: string) =>
    release.environments
      ? release.environments.map((e) => e.id)
      : runsIn.filter((c) => c.product_id === productId).map((c) => c.environment_id)

  const min = (xs: Array<string | undefined>) =>
    xs.filter((x): x is string => !!x).sort()[0] ?? null
  const metricsVersions = versions.map((v) => {
    const mine = history.filter((h) => h.version_id === v.version_id)
    const deployedIn = new Set(
      release.progress.rows
        .find((r) => r.version_id === v.version_id)
        ?.cells.filter((c) => c.state === 'deployed')
        .map((c) => c.environment_id) ?? []
    )
    const targets = targetsOf(v.product_id)
    const reached = targets.filter((e) => deployedIn.has(e)).length
    const firstDeployed = min(mine.filter((h) => h.status !== 'pending').map((h) => h.first_at))
    const firstProduction = min(
      mine
        .filter((h) => h.status === 'completed' && isProduction(h.environment_id))
        .map((h) => h.first_at)
    )
    return {
      product_id: v.product_id,
      product_name: v.product_name,
      version_id: v.version_id,
      version: v.version,
      reached,
      targeted: targets.length,
      percent: targets.length ? (100 * reached) / targets.length : 0,
      first_deployed_at: firstDeployed,
      first_production_at: firstProduction,
      time_to_production:
        firstDeployed && firstProduction ? seconds(firstDeployed, firstProduction) : null,
      failures: mine.filter((h) => h.status === 'failed').reduce((n, h) => n + h.n, 0),
    }
  })
  const failuresByEnv = new Map<string, number>()
  for (const h of history) {
    if (h.status === 'failed') {
      failuresByEnv.set(h.environment_id, (failuresByEnv.get(h.environment_id) ?? 0) + h.n)
    }
  }
  const reached = metricsVersions.reduce((n, v) => n + v.reached, 0)
  const targeted = metricsVersions.reduce((n, v) => n + v.targeted, 0)
  const firstDeployed = min(metricsVersions.map((v) => v.first_deployed_at ?? undefined))
  const firstProduction = min(metricsVersions.map((v) => v.first_production_at ?? undefined))

  const cells = versions.flatMap((v) =>
    targetsOf(v.product_id).map((environment_id) => ({
      product_id: v.product_id,
      environment_id,
      version_id: v.version_id,
    }))
  )
  const start = release.release_date ?? release.timeline_at
  const windowEnd = new Date(
    Math.min(now.getTime(), Date.parse(start.slice(0, 10)) + 30 * DAY_MS)
  ).toISOString()
  const [deployments, news] = await Promise.all([
    cells.length ? readAdoptionChanges(sql, cells, start, windowEnd) : [],
    readNew(sql, release.id, release.timeline_at, productIds, versionIds),
  ])

  return {
    release: summary,
    metrics: {
      versions: metricsVersions,
      reached,
      targeted,
      percent: targeted ? (100 * reached) / targeted : 0,
      first_deployed_at: firstDeployed,
      first_production_at: firstProduction,
      time_to_production:
        firstDeployed && firstProduction ? seconds(firstDeployed, firstProduction) : null,
      failures: [...failuresByEnv].map(([environment_id, count]) => ({
        environment_id,
        environment_name: envById.get(environment_id)?.name ?? environment_id,
        count,
      })),
    },
    new: news,
    adoption: computeAdoption({ start, now: now.toISOString(), cells, deployments }),
    analyses,
  }
}

/**
 * The successful deployments computeAdoption needs in the targeted cells: the newest one up to
 * `start`, then those up to `end`. Of these, only the ones that change whether a cell runs the
 * release's version can change a day's count (the last deployment by a day's end decides it), so
 * only those are sent: a few per cell instead of every deployment of a busy month.
 */
function readAdoptionChanges(
  sql: Sql,
  cells: Array<{ product_id: string; environment_id: string; version_id: string }>,
  start: string,
  end: string
) {
  return sql<Array<{ product_id: string; environment_id: string; version_id: string; at: string }>>`
    with cells as (
      select distinct * from unnest(${cells.map((c) => c.product_id)}::uuid[],
        ${cells.map((c) => c.environment_id)}::uuid[], ${cells.map((c) => c.version_id)}::uuid[]) as c(p, e, v)
    ), seen as (
      select c.p, c.e, c.v, x.version_id, x.occurred_at
      from cells c cross join lateral (
        select version_id, occurred_at from event
        where kind = 'deployment' and outcome = 'applied' and status = 'completed'
          and product_id = c.p and environment_id = c.e and occurred_at <= ${start}
        order by occurred_at desc limit 1) x
      union all
      select c.p, c.e, c.v, x.version_id, x.occurred_at
      from cells c join event x on x.product_id = c.p and x.environment_id = c.e
      where x.kind = 'deployment' and x.outcome = 'applied' and x.status = 'completed'
        and x.occurred_at > ${start} and x.occurred_at <= ${end}
    ), changes as (
      select p, e, version_id, occurred_at, version_id = v as runs,
        lag(version_id = v) over (partition by p, e order by occurred_at, version_id) as ran
      from seen
    )
    select p as product_id, e as environment_id, version_id, iso(occurred_at) as at
    from changes where ran is distinct from runs
    order by occurred_at, version_id`
}

/** Products, environments and versions first seen since the previous release of the same products. */
async function readNew(
  sql: Sql,
  id: string,
  at: string,
  productIds: string[],
  versionIds: string[]
) {
  const [[previous], [upTo]] = await Promise.all([
    sql<Array<{ id: string; name: string; timeline_at: string }>>`
      select r.id, r.name, iso(r.timeline_at) as timeline_at from release r
      where r.id <> ${id}::uuid and r.timeline_at < ${at}
        and exists (select 1 from release_version rv where rv.release_id = r.id and rv.product_id = any(${productIds}::uuid[]))
      order by r.timeline_at desc, r.id desc limit 1`,
    // up to the release's date, and its own versions whenever they first appeared
    sql<Array<{ t: string }>>`
      select iso(greatest(${at}::timestamptz, (select max(first_seen_at) from version where id = any(${versionIds}::uuid[])))) as t`,
  ])
  const since = previous?.timeline_at ?? null
  const until = upTo?.t ?? at
  const window = (column: string) =>
    since
      ? sql`${sql.unsafe(column)} > ${since} and ${sql.unsafe(column)} <= ${until}`
      : sql`${sql.unsafe(column)} <= ${until}`
  const [products, environments, versions] = await Promise.all([
    sql<Array<{ id: string; name: string; first_seen_at: string }>>`
      select id, name, iso(first_seen_at) as first_seen_at from product
      where id = any(${productIds}::uuid[]) and ${window('first_seen_at')}
      order by name`,
    sql<Array<{ id: string; name: string; first_seen_at: string }>>`
      select e.id, e.name, iso(e.first_seen_at) as first_seen_at from environment e
      where ${window('e.first_seen_at')}
        and exists (select 1 from environment_state s where s.environment_id = e.id and s.product_id = any(${productIds}::uuid[]))
      order by e.name`,
    sql<Array<{ id: string; product_name: string; version: string; first_seen_at: string }>>`
      select v.id, p.name as product_name, v.version, iso(v.first_seen_at) as first_seen_at
      from version v join product p on p.id = v.product_id
      where v.product_id = any(${productIds}::uuid[]) and ${window('v.first_seen_at')}
      order by v.first_seen_at, v.id
      limit 500`,
  ])
  return {
    since,
    previous_release: previous ? { id: previous.id, name: previous.name } : null,
    products,
    environments,
    versions,
  }
}

export interface StatsQuery {
  bucket: 'day' | 'hour'
  from: string
  to: string
  product?: string
  environment?: string
}

/** Terminal deployments per bucket, stacked by status, and the visible releases to mark. */
export async function readDeploymentStats(sql: Sql, q: StatsQuery): Promise<DeploymentStats> {
  const [rows, markers] = await Promise.all([
    // counted from the covering event_terminal_time_idx alone. date_bin from a UTC midnight before
    // any valid time is date_trunc(bucket, occurred_at, 'UTC') without a time zone conversion
    // per deployment (a third of the cost); each bucket is formatted once, after counting.
    sql<Array<{ at: string; status: Status; n: number }>>`
      select iso(bucket) as at, status, n from (
        select date_bin(${q.bucket === 'day' ? '1 day' : '1 hour'}::interval, occurred_at, '0001-01-01T00:00:00Z') as bucket,
          status, count(*)::int as n
        from event
        where kind = 'deployment' and outcome = 'applied' and status in ('completed', 'failed', 'aborted')
          and occurred_at >= ${q.from} and occurred_at < ${q.to}
          ${q.product ? sql`and product_id = ${q.product}::uuid` : sql``}
          ${q.environment ? sql`and environment_id = ${q.environment}::uuid` : sql``}
        group by 1, 2) counted`,
    sql<Array<{ id: string; name: string; at: string; automatic: boolean }>>`
      select r.id, r.name, iso(r.timeline_at) as at, r.automatic from release r
      where r.visible_on_charts and r.timeline_at >= ${q.from} and r.timeline_at < ${q.to}
        ${q.product ? sql`and exists (select 1 from release_version rv where rv.release_id = r.id and rv.product_id = ${q.product}::uuid)` : sql``}
        ${q.environment ? sql`and (r.environments is null or ${q.environment}::uuid = any(r.environments))` : sql``}
      order by r.timeline_at limit 500`,
  ])
  const byBucket = new Map<string, Array<(typeof rows)[number]>>()
  for (const r of rows) byBucket.set(r.at, [...(byBucket.get(r.at) ?? []), r])
  const step = q.bucket === 'day' ? DAY_MS : 3_600_000
  const first = Math.floor(Date.parse(q.from) / step) * step
  const buckets = []
  for (let t = first; t < Date.parse(q.to); t += step) {
    const at = new Date(t).toISOString().replace(/\.\d{3}Z$/, '.000Z')
    const mine = byBucket.get(at) ?? []
    const counts = { pending: 0, started: 0, completed: 0, failed: 0, aborted: 0 }
    for (const r of mine) counts[r.status] = r.n
    buckets.push({ at, counts, total: mine.reduce((n, r) => n + r.n, 0) })
  }
  return { bucket: q.bucket, from: q.from, to: q.to, buckets, markers }
}

/**
 * DORA figures, counted in Postgres: per product and overall (grouping sets), with the medians and
 * 90th percentiles by percentile_cont, which interpolates between closest ranks as metrics/stats.ts
 * `quantile` does. Figures are built from the counts by metrics/dora.ts. Times are stored to the
 * millisecond (ingest normalizes them), so durations are the ones the API's times give.
 *
 * What it reads: every successful or failed deployment to the chosen environments in the range,
 * from event_cell_finished_idx alone (product by product); the commit time the event reported,
 * else its version's (one look-up per version); and for each failure, the product's next success
 * strictly after it, in these environments — within the range by a window over the same rows, and
 * only for a failure not recovered by the range's end, by a look-up past it.
 */
export async function readDora(
  sql: Sql,
  q: { from: string; to: string; product?: string; environment?: string }
): Promise<DoraReport> {
  const environments = await sql<Array<{ id: string; name: string }>>`
    select id, name from environment
    where ${q.environment ? sql`id = ${q.environment}::uuid` : sql`type = 'production'`} order by name`
  const envIds = environments.map((e) => e.id)
  const rows = await sql<
    Array<{
      product_id: string | null
      product_name: string | null
      successes: number
      failures: number
      deployment_days: number
      lead: [number, number] | null
      lead_samples: number
      recovery: [number, number] | null
      recovered: number
    }>
  >`
    with finished as (
      -- in product order, so the window and the grouping below sort each product's rows only
      select p.id as product_id, e.* from (select id from product order by id) p cross join lateral (
        select e.status, e.occurred_at as at, e.version_id, e.payload_scm_committed_at as reported
        from event e
        where e.kind = 'deployment' and e.outcome = 'applied' and e.status in ('completed', 'failed')
          and e.product_id = p.id and e.environment_id = any(${envIds}::uuid[])
          and e.occurred_at >= ${q.from} and e.occurred_at < ${q.to}
        -- product by product from event_cell_finished_idx: "offset 0" keeps Postgres from merging
        -- this into one scan by time, which has to visit each event's row for what it reads
        offset 0) e
      ${q.product ? sql`where p.id = ${q.product}::uuid` : sql``}
    ), timed as (
      select f.product_id, f.status, f.at,
        case when f.status = 'completed' then coalesce(f.reported::timestamptz, c.committed) end as committed,
        case when f.status = 'failed' then coalesce(
          min(f.at) filter (where f.status = 'completed') over (
            partition by f.product_id order by f.at desc
            range between unbounded preceding and '1 microsecond' preceding),
          -- none before the range's end: the first one after it
          (select min(n.occurred_at) from unnest(${envIds}::uuid[]) as env(id) cross join lateral (
            select occurred_at from event
            where kind = 'deployment' and outcome = 'applied' and status = 'completed'
              and product_id = f.product_id and environment_id = env.id and occurred_at >= ${q.to}
            order by occurred_at limit 1) n)) end as recovered
      from finished f left join lateral (
        -- one look-up per version (memoized; limit 1 keeps it from becoming a scan of every
        -- version), and none for a failure or a success that reported its commit time
        select coalesce(v.scm_committed_at, v.build_started_at) as committed
        from version v where v.id = f.version_id and f.status = 'completed' and f.reported is null
        limit 1
      ) c on true
    ), durations as (
      -- exact seconds (numeric) between times stored to the millisecond, as seconds() computes them
      select t.product_id, t.status, t.at,
        extract(epoch from t.at - t.committed) as lead,
        extract(epoch from t.recovered - t.at) as recovery
      from timed t
    )
    select d.product_id, min(p.name) as product_name,
      count(*) filter (where d.status = 'completed')::int as successes,
      count(*) filter (where d.status = 'failed')::int as failures,
      count(distinct date_bin('1 day', d.at, '0001-01-01T00:00:00Z')) filter (where d.status = 'completed')::int as deployment_days,
      percentile_cont(array[0.5, 0.9]) within group (order by d.lead::float8) filter (where d.lead >= 0) as lead,
      count(*) filter (where d.lead >= 0)::int as lead_samples,
      percentile_cont(array[0.5, 0.9]) within group (order by d.recovery::float8) filter (where d.status = 'failed' and d.recovery is not null) as recovery,
      count(*) filter (where d.status = 'failed' and d.recovery is not null)::int as recovered
    from durations d join product p on p.id = d.product_id
    group by grouping sets ((d.product_id), ())`
  const figures = (r: (typeof rows)[number] | undefined) =>
    figuresFromCounts(
      {
        successes: r?.successes ?? 0,
        failures: r?.failures ?? 0,
        deployment_days: r?.deployment_days ?? 0,
        lead_time: {
          median: r?.lead?.[0] ?? null,
          p90: r?.lead?.[1] ?? null,
          samples: r?.lead_samples ?? 0,
        },
        recovery_time: {
          median: r?.recovery?.[0] ?? null,
          p90: r?.recovery?.[1] ?? null,
          recovered: r?.recovered ?? 0,
        },
      },
      q.from,
      q.to
    )
  return {
    from: q.from,
    to: q.to,
    environments,
    overall: figures(rows.find((r) => r.product_id === null)),
    products: rows
      .filter((r) => r.product_id !== null)
      .map((r) => ({ product_id: r.product_id!, product_name: r.product_name!, ...figures(r) }))
      .sort((a, b) => (a.product_name < b.product_name ? -1 : 1)),
    definitions: { ...DORA_DEFINITIONS },
  }
}

export async function readSettings(sql: Sql): Promise<ReleaseSettings> {
  const [row] = await sql<
    Array<{ value: Partial<ReleaseSettings>; updated_at: string; updated_by: string | null }>
  >`
    select value, iso(updated_at) as updated_at, updated_by from setting where key = 'releases'`
  return {
    ...DEFAULT_RELEASE_SETTINGS,
    ...row?.value,
    updated_at: row?.updated_at ?? null,
    updated_by: row?.updated_by ?? null,
  }
}
