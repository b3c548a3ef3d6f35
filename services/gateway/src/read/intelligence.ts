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
import { doraByProduct, doraFigures, type DoraEvent } from '../metrics/dora.ts'
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
  const rows = await sql<TimelineRelease[]>`
    select ${sql.unsafe(RELEASE_COLUMNS)},
      coalesce((select json_agg(json_build_object('product_id', p.id, 'product_name', p.name, 'version', v.version) order by p.name)
        from release_version rv join version v on v.id = rv.version_id join product p on p.id = rv.product_id
        where rv.release_id = r.id), '[]') as products
    from release r
    where true
      ${q.from ? sql`and r.timeline_at >= ${q.from}` : sql``}
      ${q.to ? sql`and r.timeline_at <= ${q.to}` : sql``}
      ${q.status?.length ? sql`and r.status = any(${q.status})` : sql``}
      ${q.automatic !== undefined ? sql`and r.automatic = ${q.automatic}` : sql``}
      ${q.visible !== undefined ? sql`and r.visible_on_charts = ${q.visible}` : sql``}
      ${q.product ? sql`and exists (select 1 from release_version rv where rv.release_id = r.id and rv.product_id = ${q.product}::uuid)` : sql``}
      ${q.environment ? sql`and (r.environments is null or ${q.environment}::uuid = any(r.environments))` : sql``}
      ${after ? sql`and (r.timeline_at, r.id) < (${after[0]!}::timestamptz, ${after[1]!}::uuid)` : sql``}
    order by r.timeline_at desc, r.id desc
    limit ${q.limit + 1}`
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
  const deployments = cells.length
    ? await sql<
        Array<{ product_id: string; environment_id: string; version_id: string; at: string }>
      >`
        with cells as (
          select distinct * from unnest(${cells.map((c) => c.product_id)}::uuid[], ${cells.map((c) => c.environment_id)}::uuid[]) as c(p, e)
        )
        select c.p as product_id, c.e as environment_id, x.version_id, iso(x.occurred_at) as at
        from cells c cross join lateral (
          select version_id, occurred_at from event
          where kind = 'deployment' and outcome = 'applied' and status = 'completed'
            and product_id = c.p and environment_id = c.e and occurred_at <= ${start}
          order by occurred_at desc limit 1) x
        union all
        select product_id, environment_id, version_id, iso(occurred_at) from event
        where kind = 'deployment' and outcome = 'applied' and status = 'completed'
          and (product_id, environment_id) in (select p, e from cells)
          and occurred_at > ${start} and occurred_at <= ${windowEnd}`
    : []

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
    new: await readNew(sql, release.id, release.timeline_at, productIds, versionIds),
    adoption: computeAdoption({ start, now: now.toISOString(), cells, deployments }),
    analyses,
  }
}

/** Products, environments and versions first seen since the previous release of the same products. */
async function readNew(
  sql: Sql,
  id: string,
  at: string,
  productIds: string[],
  versionIds: string[]
) {
  const [previous] = await sql<Array<{ id: string; name: string; timeline_at: string }>>`
    select r.id, r.name, iso(r.timeline_at) as timeline_at from release r
    where r.id <> ${id}::uuid and r.timeline_at < ${at}
      and exists (select 1 from release_version rv where rv.release_id = r.id and rv.product_id = any(${productIds}::uuid[]))
    order by r.timeline_at desc, r.id desc limit 1`
  const since = previous?.timeline_at ?? null
  // up to the release's date, and its own versions whenever they first appeared
  const [upTo] = await sql<Array<{ t: string }>>`
    select iso(greatest(${at}::timestamptz, (select max(first_seen_at) from version where id = any(${versionIds}::uuid[])))) as t`
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
    sql<Array<{ at: string; status: Status; n: number }>>`
      select iso(date_trunc(${q.bucket}, occurred_at, 'UTC')) as at, status, count(*)::int as n
      from event
      where kind = 'deployment' and outcome = 'applied' and status in ('completed', 'failed', 'aborted')
        and occurred_at >= ${q.from} and occurred_at < ${q.to}
        ${q.product ? sql`and product_id = ${q.product}::uuid` : sql``}
        ${q.environment ? sql`and environment_id = ${q.environment}::uuid` : sql``}
      group by 1, 2`,
    sql<Array<{ id: string; name: string; at: string; automatic: boolean }>>`
      select r.id, r.name, iso(r.timeline_at) as at, r.automatic from release r
      where r.visible_on_charts and r.timeline_at >= ${q.from} and r.timeline_at < ${q.to}
        ${q.product ? sql`and exists (select 1 from release_version rv where rv.release_id = r.id and rv.product_id = ${q.product}::uuid)` : sql``}
        ${q.environment ? sql`and (r.environments is null or ${q.environment}::uuid = any(r.environments))` : sql``}
      order by r.timeline_at limit 500`,
  ])
  const step = q.bucket === 'day' ? DAY_MS : 3_600_000
  const first = Math.floor(Date.parse(q.from) / step) * step
  const buckets = []
  for (let t = first; t < Date.parse(q.to); t += step) {
    const at = new Date(t).toISOString().replace(/\.\d{3}Z$/, '.000Z')
    const mine = rows.filter((r) => r.at === at)
    const counts = { pending: 0, started: 0, completed: 0, failed: 0, aborted: 0 }
    for (const r of mine) counts[r.status] = r.n
    buckets.push({ at, counts, total: mine.reduce((n, r) => n + r.n, 0) })
  }
  return { bucket: q.bucket, from: q.from, to: q.to, buckets, markers }
}

export async function readDora(
  sql: Sql,
  q: { from: string; to: string; product?: string; environment?: string }
): Promise<DoraReport> {
  const environments = await sql<Array<{ id: string; name: string }>>`
    select id, name from environment
    where ${q.environment ? sql`id = ${q.environment}::uuid` : sql`type = 'production'`} order by name`
  const envIds = environments.map((e) => e.id)
  const events = await sql<DoraEvent[]>`
    select e.product_id, p.name as product_name, e.status, iso(e.occurred_at) as at,
      iso(coalesce((e.payload->>'scm_committed_at')::timestamptz, v.scm_committed_at, v.build_started_at)) as committed_at,
      case when e.status = 'failed' then (
        select iso(min(n.occurred_at)) from event n
        where n.kind = 'deployment' and n.outcome = 'applied' and n.status = 'completed'
          and n.product_id = e.product_id and n.environment_id = any(${envIds}::uuid[]) and n.occurred_at > e.occurred_at
      ) end as recovered_at
    from event e
    join product p on p.id = e.product_id
    join version v on v.id = e.version_id
    where e.kind = 'deployment' and e.outcome = 'applied' and e.status in ('completed', 'failed')
      and e.environment_id = any(${envIds}::uuid[])
      and e.occurred_at >= ${q.from} and e.occurred_at < ${q.to}
      ${q.product ? sql`and e.product_id = ${q.product}::uuid` : sql``}`
  return {
    from: q.from,
    to: q.to,
    environments,
    overall: doraFigures(events, q.from, q.to),
    products: doraByProduct(events, q.from, q.to),
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
