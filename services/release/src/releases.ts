/**
 * Release operations and their rules, enforced where the release data lives:
 *  - one version per product (a second version of a product already there is refused);
 *  - the same version may be in many releases; versions themselves are never modified here;
 *  - the lifecycle draft → in_progress → completed, cancelled from draft or in_progress, and
 *    completed and cancelled final (no change at all, versions included);
 *  - every change is recorded with who and when (release_history);
 *  - progress is recomputed in the same transaction as the change.
 */
import {
  SYSTEM_ACTOR,
  canTransition,
  isFinal,
  newId,
  UUID_RE,
  environmentId,
  versionId as deriveVersionId,
  type CreateAnalysis,
  type AddReleaseVersion,
  type CreateRelease,
  type ErrorCode,
  type FieldIssue,
  type HistoryAction,
  type ReleaseStatus,
  type UpdateEnvironment,
  type UpdateRelease,
} from '@shiplog/contracts'

import type { Db, Sql } from './db.ts'
import { detectReleases } from './automatic.ts'
import { computeProgress, type ProgressInput } from './progress.ts'
import type { RecordResult } from './record.ts'

/** A request the rules refuse; answered to the client with its code. */
export class RuleError extends Error {
  override name = 'RuleError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldIssue[]
  ) {
    super(message)
  }
}

export interface Changed {
  id: string
  releases: Array<{ id: string; rev: number }>
  /** The board's columns changed (an environment's type or order): clients refetch it. */
  resync?: boolean
}

type Json = Parameters<Db['json']>[0]

interface ReleaseRow {
  id: string
  name: string
  description: string | null
  status: ReleaseStatus
  extra_metadata: Record<string, unknown>
  release_date: string | null
  end_date: string | null
  environments: string[] | null
  visible_on_charts: boolean
}

async function history(
  tx: Db,
  releaseId: string,
  actor: string,
  action: HistoryAction,
  changes: object
) {
  await tx`insert into release_history (release_id, actor, action, changes)
           values (${releaseId}, ${actor}, ${action}, ${tx.json(changes as Json)})`
}

const finalError = (row: ReleaseRow) =>
  new RuleError(
    'release_is_final',
    `release "${row.name}" is ${row.status}; a ${row.status} release cannot change`
  )

/** Locks the release for the rest of the transaction; refuses unknown ones, and final ones
 *  unless the change is only presentation (chart visibility, analyses). */
async function lockForChange(tx: Db, id: string, allowFinal = false): Promise<ReleaseRow> {
  const [row] = await tx<ReleaseRow[]>`
    select id, name, description, status, extra_metadata, iso(release_date) as release_date,
           iso(end_date) as end_date, environments, visible_on_charts
    from release where id = ${id}::uuid for update`
  if (!row) throw new RuleError('not_found', `no release ${id}`)
  if (!allowFinal && isFinal(row.status)) throw finalError(row)
  return row
}

/** Environment names or ids → ids of existing environments, in the given order. */
async function resolveEnvironments(
  tx: Db,
  given: readonly string[]
): Promise<Array<{ id: string; name: string }>> {
  const ids = given.map((e) => (UUID_RE.test(e) ? e.toLowerCase() : environmentId(e)))
  const found = await tx<{ id: string; name: string }[]>`
    select id, name from environment where id = any(${ids}::uuid[])`
  const byId = new Map(found.map((e) => [e.id, e]))
  const missing = given.filter((_, i) => !byId.has(ids[i]!))
  if (missing.length) {
    throw new RuleError('validation_failed', `unknown environment ${missing.join(', ')}`, [
      { field: 'environments', message: `unknown environment ${missing.join(', ')}` },
    ])
  }
  return [...new Set(ids)].map((id) => byId.get(id)!)
}

async function environmentNames(tx: Db, ids: readonly string[] | null): Promise<string[] | null> {
  if (!ids) return null
  const rows = await tx<
    { id: string; name: string }[]
  >`select id, name from environment where id = any(${ids}::uuid[])`
  return ids.map((id) => rows.find((r) => r.id === id)?.name ?? id)
}

export async function createRelease(
  sql: Sql,
  actor: string,
  input: CreateRelease
): Promise<Changed> {
  return sql.begin(async (tx) => {
    const id = newId()
    const environments = input.environments
      ? await resolveEnvironments(tx, input.environments)
      : null
    await tx`
      insert into release (id, name, description, status, extra_metadata, created_by, release_date,
                           end_date, environments, visible_on_charts)
      values (${id}, ${input.name}, ${input.description ?? null}, ${input.status},
              ${tx.json((input.extra_metadata ?? {}) as Json)}, ${actor}, ${input.release_date ?? null},
              ${input.end_date ?? null}, ${environments ? environments.map((e) => e.id) : null}::uuid[],
              ${input.visible_on_charts})`
    await history(tx, id, actor, 'created', {
      name: input.name,
      status: input.status,
      ...(environments ? { environments: environments.map((e) => e.name) } : {}),
    })
    if (input.version) {
      await lockVersions(tx, [namedVersionId(input.version)])
      const [row] = await tx<ReleaseRow[]>`select id, name from release where id = ${id}`
      await addVersionTx(tx, row!, input.version, actor)
    }
    return { id, releases: await recomputeReleases(tx, [id]) }
  })
}

export async function updateRelease(
  sql: Sql,
  actor: string,
  id: string,
  patch: UpdateRelease
): Promise<Changed> {
  return sql.begin(async (tx) => {
    const row = await lockForChange(tx, id, true)
    const presentationOnly = Object.entries(patch).every(
      ([field, value]) => value === undefined || field === 'visible_on_charts'
    )
    if (isFinal(row.status) && !presentationOnly) throw finalError(row)
    if (
      patch.status !== undefined &&
      patch.status !== row.status &&
      !canTransition(row.status, patch.status)
    ) {
      throw new RuleError(
        'invalid_status_transition',
        `a release cannot go from ${row.status} to ${patch.status}` +
          (patch.status === 'completed' ? '; start it (in_progress) first' : ''),
        [{ field: 'status', message: `${row.status} → ${patch.status} is not allowed` }]
      )
    }
    const next: ReleaseRow = { ...row }
    if (patch.name !== undefined) next.name = patch.name
    if (patch.description !== undefined) next.description = patch.description
    if (patch.extra_metadata !== undefined) next.extra_metadata = patch.extra_metadata ?? {}
    if (patch.release_date !== undefined) next.release_date = patch.release_date
    if (patch.end_date !== undefined) next.end_date = patch.end_date
    if (patch.visible_on_charts !== undefined) next.visible_on_charts = patch.visible_on_charts
    if (patch.environments !== undefined) {
      next.environments = patch.environments
        ? (await resolveEnvironments(tx, patch.environments)).map((e) => e.id)
        : null
    }
    if (next.release_date && next.end_date && next.end_date < next.release_date) {
      throw new RuleError('validation_failed', 'end_date must not be before release_date', [
        { field: 'end_date', message: `is before the release date ${next.release_date}` },
      ])
    }
    const edits: Record<string, { from: unknown; to: unknown }> = {}
    const fields = [
      'name',
      'description',
      'extra_metadata',
      'release_date',
      'end_date',
      'visible_on_charts',
    ] as const
    for (const field of fields) {
      if (JSON.stringify(next[field]) !== JSON.stringify(row[field])) {
        edits[field] = { from: row[field], to: next[field] }
      }
    }
    if (JSON.stringify(next.environments) !== JSON.stringify(row.environments)) {
      edits.environments = {
        from: await environmentNames(tx, row.environments),
        to: await environmentNames(tx, next.environments),
      }
    }
    const statusChanged = patch.status !== undefined && patch.status !== row.status
    if (!statusChanged && !Object.keys(edits).length) return { id, releases: [] }
    await tx`
      update release set name = ${next.name}, description = ${next.description},
        extra_metadata = ${tx.json(next.extra_metadata as Json)}, status = ${patch.status ?? row.status},
        release_date = ${next.release_date}, end_date = ${next.end_date},
        environments = ${next.environments}::uuid[], visible_on_charts = ${next.visible_on_charts},
        updated_at = now()
      where id = ${id}`
    if (Object.keys(edits).length) await history(tx, id, actor, 'edited', edits)
    if (statusChanged) {
      await history(tx, id, actor, 'status_changed', { from: row.status, to: patch.status })
    }
    return { id, releases: await recomputeReleases(tx, [id]) }
  })
}

export async function addVersion(
  sql: Sql,
  actor: string,
  id: string,
  named: AddReleaseVersion
): Promise<Changed> {
  return sql.begin(async (tx) => {
    // the version before the release: the order the recording takes them in (afterEventsRecorded)
    await lockVersions(tx, [namedVersionId(named)])
    const release = await lockForChange(tx, id)
    await addVersionTx(tx, release, named, actor)
    return { id, releases: await recomputeReleases(tx, [id]) }
  })
}

const namedVersionId = (named: AddReleaseVersion) =>
  'version_id' in named ? named.version_id : deriveVersionId(named.product_name, named.version)

/**
 * Serializes, per version, a release taking a version in (added by a person, or made by automatic
 * detection) with the recording of that version's deployments. Without it each misses the other:
 * the recording looks for the releases holding its versions before the new release_version row
 * is committed, and the release's progress is read before the recording's deployments are. Taken
 * in a fixed order, always before any release row (recomputeReleases locks those), so no two
 * transactions wait on each other in a circle.
 */
async function lockVersions(tx: Db, ids: readonly string[]) {
  if (!ids.length) return
  await tx`
    select pg_advisory_xact_lock(k) from (
      select distinct hashtextextended(v, 13) as k from unnest(${[...ids]}::text[]) as t(v) order by k
    ) as locks`
}

async function addVersionTx(
  tx: Db,
  release: Pick<ReleaseRow, 'id' | 'name'>,
  named: AddReleaseVersion,
  actor: string
) {
  const id = release.id
  const wanted =
    'version_id' in named ? named.version_id : deriveVersionId(named.product_name, named.version)
  const [version] = await tx<
    { id: string; product_id: string; product_name: string; version: string }[]
  >`
    select v.id, v.product_id, p.name as product_name, v.version
    from version v join product p on p.id = v.product_id where v.id = ${wanted}::uuid`
  if (!version) {
    const what =
      'version_id' in named
        ? `version ${named.version_id}`
        : `version ${named.version} of ${named.product_name}`
    throw new RuleError(
      'not_found',
      `no ${what}: a version exists once a build or deployment event has named it`
    )
  }
  const [present] = await tx<{ version_id: string; version: string }[]>`
    select rv.version_id, v.version from release_version rv join version v on v.id = rv.version_id
    where rv.release_id = ${id} and rv.product_id = ${version.product_id}`
  if (present) {
    const message =
      present.version_id === version.id
        ? `${version.product_name} ${version.version} is already in release "${release.name}"`
        : `release "${release.name}" already has ${version.product_name} ${present.version}; a release holds one version per product (remove ${present.version} first)`
    throw new RuleError('version_already_in_release', message, [
      {
        field: 'version_id',
        message: `${version.product_name} is already in the release at ${present.version}`,
      },
    ])
  }
  await tx`insert into release_version (release_id, version_id, product_id, added_by)
           values (${id}, ${version.id}, ${version.product_id}, ${actor})`
  await tx`update release set updated_at = now() where id = ${id}`
  await history(tx, id, actor, 'version_added', {
    version_id: version.id,
    product_name: version.product_name,
    version: version.version,
  })
}

/** Analyses (links to work about a release) are presentation: final releases take them too. */
export async function addAnalysis(
  sql: Sql,
  actor: string,
  releaseId: string,
  input: CreateAnalysis
): Promise<Changed> {
  return sql.begin(async (tx) => {
    await lockForChange(tx, releaseId, true)
    const id = newId()
    await tx`insert into release_analysis (id, release_id, title, url, note, created_by)
             values (${id}, ${releaseId}, ${input.title}, ${input.url}, ${input.note ?? null}, ${actor})`
    return { id, releases: await recomputeReleases(tx, [releaseId]) }
  })
}

export async function removeAnalysis(sql: Sql, releaseId: string, id: string): Promise<Changed> {
  return sql.begin(async (tx) => {
    await lockForChange(tx, releaseId, true)
    const gone =
      await tx`delete from release_analysis where id = ${id}::uuid and release_id = ${releaseId} returning id`
    if (!gone.length) throw new RuleError('not_found', `no analysis ${id} on release ${releaseId}`)
    return { id: releaseId, releases: await recomputeReleases(tx, [releaseId]) }
  })
}

export async function removeVersion(
  sql: Sql,
  actor: string,
  id: string,
  versionId: string
): Promise<Changed> {
  return sql.begin(async (tx) => {
    const release = await lockForChange(tx, id)
    const [removed] = await tx<{ product_name: string; version: string }[]>`
      with gone as (
        delete from release_version where release_id = ${id} and version_id = ${versionId}::uuid returning version_id
      )
      select p.name as product_name, v.version from gone
      join version v on v.id = gone.version_id join product p on p.id = v.product_id`
    if (!removed) {
      throw new RuleError('not_found', `version ${versionId} is not in release "${release.name}"`)
    }
    await tx`update release set updated_at = now() where id = ${id}`
    await history(tx, id, actor, 'version_removed', { version_id: versionId, ...removed })
    return { id, releases: await recomputeReleases(tx, [id]) }
  })
}

/** An environment's type decides what counts as production; its order, the matrix's columns. */
export async function updateEnvironment(
  sql: Sql,
  id: string,
  patch: UpdateEnvironment
): Promise<Changed> {
  return sql.begin(async (tx) => {
    const [env] = await tx`
      update environment set
        type = coalesce(${patch.type ?? null}, type),
        display_order = case when ${patch.display_order !== undefined} then ${patch.display_order ?? null}::int else display_order end
      where id = ${id}::uuid returning id`
    if (!env) throw new RuleError('not_found', `no environment ${id}`)
    const affected = await tx<{ release_id: string }[]>`
      select distinct rv.release_id from release_version rv
      join environment_state s on s.product_id = rv.product_id
      where s.environment_id = ${id}::uuid`
    return {
      id,
      releases: await recomputeReleases(
        tx,
        affected.map((r) => r.release_id)
      ),
      resync: true,
    }
  })
}

/**
 * After events are recorded (same transaction): releases whose versions moved are recomputed,
 * and so are all releases of a product that appeared in a new environment (the product's set of
 * production environments may have grown). A draft release whose version started deploying
 * anywhere moves to in_progress by itself.
 */
export async function afterEventsRecorded(
  tx: Db,
  result: RecordResult
): Promise<Array<{ id: string; rev: number }>> {
  if (!result.versions.length) return []
  // after this transaction's deployment writes (sent before it on the same connection): a release
  // taking one of these versions in meanwhile either commits first, and is seen below, or reads
  // the deployments after this commit
  await lockVersions(tx, result.versions)
  await detectReleases(tx, result.completed)
  const newProducts = [...new Set(result.newCells.map((c) => c.product_id))]
  // one round trip: drafts under way move on (with their history), then what must be recomputed
  const affected = await tx<{ release_id: string }[]>`
    with started as (
      update release set status = 'in_progress', updated_at = now()
      where status = 'draft' and id in (
        select release_id from release_version where version_id = any(${result.startedVersions}::uuid[]))
      returning id
    ), recorded as (
      insert into release_history (release_id, actor, action, changes)
      select id, ${SYSTEM_ACTOR}, 'status_changed', ${tx.json({
        from: 'draft',
        to: 'in_progress',
        reason: 'a deployment of one of its versions started',
      })} from started
    )
    select distinct release_id from release_version
    where version_id = any(${result.versions}::uuid[]) or product_id = any(${newProducts}::uuid[])`
  return recomputeReleases(
    tx,
    affected.map((r) => r.release_id)
  )
}

/**
 * Recomputes the progress of the given releases from stored deployments, and gives each a new
 * revision. The release rows are locked (in id order) before reading, so two writers recompute
 * one after the other, the second seeing the first's commit.
 */
export async function recomputeReleases(
  tx: Db,
  ids: string[]
): Promise<Array<{ id: string; rev: number }>> {
  if (!ids.length) return []
  const locked = await tx<{ id: string }[]>`
    select id from release where id = any(${ids}::uuid[]) order by id for update`
  if (!locked.length) return []
  const releaseIds = locked.map((r) => r.id)
  const versions = await tx<Array<ProgressInput['versions'][number] & { release_id: string }>>`
    select rv.release_id, rv.version_id, v.version, rv.product_id, p.name as product_name
    from release_version rv
    join version v on v.id = rv.version_id
    join product p on p.id = rv.product_id
    where rv.release_id = any(${releaseIds}::uuid[])`
  const versionIds = [...new Set(versions.map((v) => v.version_id))]
  const productIds = [...new Set(versions.map((v) => v.product_id))]
  const [deployments, productEnvironments, environments] = await Promise.all([
    tx<
      Array<Omit<ProgressInput['deployments'][number], 'last_event_at'> & { last_event_at: Date }>
    >`
      select id, version_id, environment_id, status, last_event_at, deployed_by
      from deployment where version_id = any(${versionIds}::uuid[])`,
    tx<Array<ProgressInput['productEnvironments'][number]>>`
      select product_id, environment_id from environment_state where product_id = any(${productIds}::uuid[])`,
    tx<
      Array<ProgressInput['environments'][number]>
    >`select id, name, type, display_order from environment`,
  ])
  const rows = releaseIds.map((id) => {
    const mine = versions.filter((v) => v.release_id === id)
    const mineIds = new Set(mine.map((v) => v.version_id))
    const progress = computeProgress({
      versions: mine,
      deployments: deployments
        .filter((d) => mineIds.has(d.version_id))
        .map((d) => ({ ...d, last_event_at: d.last_event_at.toISOString() })),
      environments,
      productEnvironments,
    })
    return {
      id,
      progress,
      versions_count: mine.length,
      fraction: progress.production.fraction,
      all: progress.production.all,
    }
  })
  return tx<Array<{ id: string; rev: number }>>`
    update release r set
      progress = x.progress, versions_count = x.versions_count,
      production_fraction = x.fraction, all_in_production = x.all, rev = nextval('rev_seq')
    from json_to_recordset(${tx.json(rows)}::json)
      as x(id uuid, progress jsonb, versions_count int, fraction real, "all" boolean)
    where r.id = x.id
    returning r.id, r.rev`
}
