/**
 * Products, versions and deployments as the API shows them.
 */
import type { Deployment, Product, Status, Version } from '@shiplog/contracts'

import { decodeCursor, encodeCursor } from '../cursor.ts'

import type { Sql } from './db.ts'

export const DEPLOYMENT_COLUMNS = `d.id, d.product_id, p.name as product_name, d.version_id, v.version,
  d.environment_id, e.name as environment_name, d.status, iso(d.last_event_at) as deployed_at,
  iso(d.started_at) as started_at, iso(d.completed_at) as completed_at, d.deployed_by, d.deployed_by_email,
  d.deployed_by_name, d.source_system, d.deploy_url, d.build_url, d.build_number, d.last_event_id, d.extra_metadata`

const VERSION_COLUMNS = `v.id, v.product_id, p.name as product_name, v.version, v.scm_sha, v.scm_repository,
  v.scm_branch, v.build_number, v.build_url, v.build_status, v.built_by, iso(v.created_at) as created_at`

export interface DeploymentQuery {
  product?: string
  environment?: string
  status?: Status[]
  since?: string
  limit: number
  cursor?: string
}

/** Newest first by the deployment's own time (its newest event's). */
export async function listDeployments(sql: Sql, query: DeploymentQuery) {
  const after = decodeCursor(query.cursor, 2)
  const rows = await sql<Deployment[]>`
    select ${sql.unsafe(DEPLOYMENT_COLUMNS)}
    from deployment d
    join product p on p.id = d.product_id join version v on v.id = d.version_id
    join environment e on e.id = d.environment_id
    where true
      ${query.product ? sql`and d.product_id = ${query.product}::uuid` : sql``}
      ${query.environment ? sql`and d.environment_id = ${query.environment}::uuid` : sql``}
      ${query.status?.length ? sql`and d.status = any(${query.status})` : sql``}
      ${query.since ? sql`and d.last_event_at >= ${query.since}` : sql``}
      ${after ? sql`and (d.last_event_at, d.id) < (${after[0]!}::timestamptz, ${after[1]!}::uuid)` : sql``}
    order by d.last_event_at desc, d.id desc
    limit ${query.limit + 1}`
  const items = rows.slice(0, query.limit)
  const last = items.at(-1)
  return {
    items,
    next_cursor:
      rows.length > query.limit && last ? encodeCursor([last.deployed_at, last.id]) : null,
  }
}

export async function readDeployments(sql: Sql, ids: string[]): Promise<Deployment[]> {
  if (!ids.length) return []
  return sql<Deployment[]>`
    select ${sql.unsafe(DEPLOYMENT_COLUMNS)}
    from deployment d
    join product p on p.id = d.product_id join version v on v.id = d.version_id
    join environment e on e.id = d.environment_id
    where d.id = any(${ids}::uuid[])
    order by d.last_event_at desc, d.id desc`
}

const PRODUCT_COLUMNS = `p.id, p.name, iso(p.created_at) as created_at,
  (select count(*)::int from version where product_id = p.id) as versions_count,
  (select iso(max(last_event_at)) from deployment where product_id = p.id) as last_deployed_at`

/** By name. */
export async function listProducts(
  sql: Sql,
  query: { limit: number; cursor?: string; q?: string }
) {
  const after = decodeCursor(query.cursor, 1)?.[0]
  const rows = await sql<Product[]>`
    select ${sql.unsafe(PRODUCT_COLUMNS)} from product p
    where true
      ${query.q ? sql`and p.name ilike ${'%' + query.q.replace(/[\\%_]/g, (c) => '\\' + c) + '%'}` : sql``}
      ${after ? sql`and p.name > ${after}` : sql``}
    order by p.name limit ${query.limit + 1}`
  const items = rows.slice(0, query.limit)
  return {
    items,
    next_cursor: rows.length > query.limit ? encodeCursor([items.at(-1)!.name]) : null,
  }
}

export async function readProduct(sql: Sql, id: string): Promise<Product | undefined> {
  const [row] = await sql<
    Product[]
  >`select ${sql.unsafe(PRODUCT_COLUMNS)} from product p where p.id = ${id}::uuid`
  return row
}

/** Newest first. */
export async function listVersions(
  sql: Sql,
  query: { product?: string; limit: number; cursor?: string }
) {
  const after = decodeCursor(query.cursor, 2)
  const rows = await sql<Version[]>`
    select ${sql.unsafe(VERSION_COLUMNS)} from version v join product p on p.id = v.product_id
    where true
      ${query.product ? sql`and v.product_id = ${query.product}::uuid` : sql``}
      ${after ? sql`and (v.created_at, v.id) < (${after[0]!}::timestamptz, ${after[1]!}::uuid)` : sql``}
    order by v.created_at desc, v.id desc limit ${query.limit + 1}`
  const items = rows.slice(0, query.limit)
  const last = items.at(-1)
  return {
    items,
    next_cursor:
      rows.length > query.limit && last ? encodeCursor([last.created_at, last.id]) : null,
  }
}

export async function readVersion(sql: Sql, id: string) {
  const [version] = await sql<Version[]>`
    select ${sql.unsafe(VERSION_COLUMNS)} from version v join product p on p.id = v.product_id where v.id = ${id}::uuid`
  if (!version) return undefined
  const [deployments, releases] = await Promise.all([
    sql<Deployment[]>`
      select ${sql.unsafe(DEPLOYMENT_COLUMNS)}
      from deployment d join product p on p.id = d.product_id join version v on v.id = d.version_id
      join environment e on e.id = d.environment_id
      where d.version_id = ${id}::uuid order by d.last_event_at desc`,
    sql<Array<{ id: string; name: string; status: string }>>`
      select r.id, r.name, r.status from release_version rv join release r on r.id = rv.release_id
      where rv.version_id = ${id}::uuid order by r.id desc`,
  ])
  return { ...version, deployments, releases }
}
