/**
 * Releases as the API shows them, read from what the release service wrote (progress included).
 */
import type {
  Deployment,
  HistoryEntry,
  Release,
  ReleaseDetail,
  ReleaseStatus,
  ReleaseVersion,
} from '@shiplog/contracts'

import { decodeCursor, encodeCursor } from '../cursor.ts'

import { DEPLOYMENT_COLUMNS } from './catalog.ts'
import type { Sql } from './db.ts'

export const RELEASE_COLUMNS = `r.id, r.name, r.description, r.status, r.extra_metadata, iso(r.created_at) as created_at,
  iso(r.updated_at) as updated_at, r.created_by, r.versions_count, r.progress->'production' as production,
  r.automatic, iso(r.release_date) as release_date, iso(r.end_date) as end_date, iso(r.timeline_at) as timeline_at,
  case when r.environments is null then null else (
    select coalesce(json_agg(json_build_object('id', e.id, 'name', e.name) order by array_position(r.environments, e.id)), '[]')
    from environment e where e.id = any(r.environments)) end as environments,
  r.visible_on_charts, r.rev`

export interface ReleaseQuery {
  status?: ReleaseStatus[]
  q?: string
  limit: number
  cursor?: string
}

/** Newest first (ids are UUIDv7, so id order is creation order). */
export async function listReleases(sql: Sql, query: ReleaseQuery) {
  const after = decodeCursor(query.cursor, 1)?.[0]
  const rows = await sql<Release[]>`
    select ${sql.unsafe(RELEASE_COLUMNS)} from release r
    where true
      ${
        // one status is compared with `=`, so the plan walks release_status_idx (status, id desc)
        // and stops after one page; with `= any(…)`, the generic plan of the prepared statement
        // walks every release newest first until a page matches, as far back as that takes
        query.status?.length === 1
          ? sql`and r.status = ${query.status[0]!}`
          : query.status?.length
            ? sql`and r.status = any(${query.status})`
            : sql``
      }
      ${query.q ? sql`and r.name ilike ${'%' + query.q.replace(/[\\%_]/g, (c) => '\\' + c) + '%'}` : sql``}
      ${after ? sql`and r.id < ${after}::uuid` : sql``}
    order by r.id desc
    limit ${query.limit + 1}`
  const items = rows.slice(0, query.limit)
  return { items, next_cursor: rows.length > query.limit ? encodeCursor([items.at(-1)!.id]) : null }
}

/** Summaries of the given releases (the releases list's rows), in no particular order. */
export function listReleasesById(sql: Sql, ids: string[]) {
  return sql<
    Release[]
  >`select ${sql.unsafe(RELEASE_COLUMNS)} from release r where r.id = any(${ids}::uuid[])`
}

/** The versions of release `r`, by product name, as one JSON array. */
const VERSIONS = `select coalesce(json_agg(json_build_object(
    'version_id', rv.version_id, 'product_id', rv.product_id, 'product_name', p.name,
    'version', v.version, 'scm_sha', v.scm_sha, 'added_at', iso(rv.added_at), 'added_by', rv.added_by
  ) order by p.name), '[]')
  from release_version rv join version v on v.id = rv.version_id join product p on p.id = rv.product_id
  where rv.release_id = r.id`

/** The release with its versions and progress, in one round trip. */
export async function readRelease(sql: Sql, id: string): Promise<ReleaseDetail | undefined> {
  const [release] = await sql<ReleaseDetail[]>`
    select ${sql.unsafe(RELEASE_COLUMNS)}, r.progress, (${sql.unsafe(VERSIONS)}) as versions
    from release r where r.id = ${id}::uuid`
  return release
}

export async function readReleaseVersions(sql: Sql, id: string): Promise<ReleaseVersion[]> {
  const [row] = await sql<Array<{ versions: ReleaseVersion[] }>>`
    select (${sql.unsafe(VERSIONS)}) as versions from (select ${id}::uuid as id) r`
  return row!.versions
}

export function readReleaseDeployments(sql: Sql, id: string) {
  return sql<Deployment[]>`
    select ${sql.unsafe(DEPLOYMENT_COLUMNS)}
    from release_version rv
    join deployment d on d.version_id = rv.version_id
    join product p on p.id = d.product_id join version v on v.id = d.version_id
    join environment e on e.id = d.environment_id
    where rv.release_id = ${id}::uuid
    order by d.last_event_at desc, d.id desc`
}

export function readHistory(sql: Sql, id: string) {
  return sql<HistoryEntry[]>`
    select id, release_id, iso(at) as at, actor, action, changes
    from release_history where release_id = ${id}::uuid order by id`
}

export async function releaseExists(sql: Sql, id: string): Promise<boolean> {
  return (await sql`select 1 from release where id = ${id}::uuid`).length > 0
}
