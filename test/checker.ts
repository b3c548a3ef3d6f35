/**
 * The consistency checker: recomputes, from the stored events alone, the board (folding the events
 * with the documented ordering rule) and every release's progress (the matrix, counts per
 * environment, versions in production, from the release's versions and the environments' types),
 * and compares them with what the release service maintains. Also reports events stored more than
 * once. Used by the pipeline tests and the fault suite.
 *
 * The progress is recomputed here from the rules as ARCHITECTURE.md and contracts/releases.ts
 * state them, not with the release service's computeProgress: a check that called the code it
 * checks could not disagree with it.
 */
import {
  DeploymentEvent,
  compareEnvironments,
  deploymentId,
  environmentId,
  productId,
  versionId,
  type EnvironmentType,
  type Progress,
} from '@shiplog/contracts'
import { applyEvent, type DeploymentState } from '@shiplog/release/deployments'
import type { Sql } from '@shiplog/release/db'

export interface CellView {
  current: string
  status: string
  lastSuccess: string | null
}

/** Every deployment as the stored events make it (ordering rule: services/release/src/deployments.ts). */
export async function expectedDeployments(sql: Sql): Promise<Map<string, DeploymentState>> {
  const rows = await sql<{ stream_seq: number; payload: unknown }[]>`
    select stream_seq, payload from event where kind = 'deployment' and outcome = 'applied' order by stream_seq`
  const deployments = new Map<string, DeploymentState>()
  for (const row of rows) {
    const event = DeploymentEvent.parse(row.payload)
    const id = deploymentId(event.product_name, event.version, event.environment_name)
    deployments.set(
      id,
      applyEvent(
        deployments.get(id),
        { seq: row.stream_seq, event },
        {
          id,
          product_id: productId(event.product_name),
          version_id: versionId(event.product_name, event.version),
          environment_id: environmentId(event.environment_name),
        }
      )
    )
  }
  return deployments
}

export async function expectedBoard(
  sql: Sql,
  deployments?: Map<string, DeploymentState>
): Promise<Map<string, CellView>> {
  deployments ??= await expectedDeployments(sql)
  const terminal = (s: DeploymentState) =>
    s.status === 'pending' || s.status === 'started' ? 0 : 1
  const rank = (a: DeploymentState, b: DeploymentState) =>
    a.last_event_at !== b.last_event_at
      ? a.last_event_at < b.last_event_at
        ? -1
        : 1
      : terminal(a) !== terminal(b)
        ? terminal(a) - terminal(b)
        : a.last_event_seq - b.last_event_seq
  const cells = new Map<string, DeploymentState[]>()
  for (const d of deployments.values()) {
    const key = `${d.product_id}/${d.environment_id}`
    cells.set(key, [...(cells.get(key) ?? []), d])
  }
  const board = new Map<string, CellView>()
  for (const [key, ds] of cells) {
    const sorted = ds.sort(rank)
    const current = sorted.at(-1)!
    const lastSuccess = sorted.filter((d) => d.status === 'completed').at(-1)
    board.set(key, {
      current: current.id,
      status: current.status,
      lastSuccess: lastSuccess?.id ?? null,
    })
  }
  return board
}

export async function storedBoard(sql: Sql): Promise<Map<string, CellView>> {
  const rows = await sql<
    { key: string; current: string; status: string; last_success: string | null }[]
  >`
    select s.product_id || '/' || s.environment_id as key, s.current_id as current, d.status, s.last_success_id as last_success
    from environment_state s join deployment d on d.id = s.current_id`
  return new Map(
    rows.map((r) => [r.key, { current: r.current, status: r.status, lastSuccess: r.last_success }])
  )
}

/** What a release shows of its progress, and the summary columns kept beside it. */
export interface ReleaseProgressView {
  progress: Progress
  versions_count: number
  all_in_production: boolean
  production_fraction: number
}

/** A matrix cell's state per the deployment's status (contracts `CellState`). */
const CELL_STATE = {
  completed: 'deployed',
  failed: 'failed',
  pending: 'in_progress',
  started: 'in_progress',
  aborted: 'not_deployed',
} as const

/**
 * Every release's progress, recomputed: a row per version (by product name), a column per
 * environment any of its products runs in (board order), each cell the state of that version's
 * deployment there; a version is in production when it is deployed (completed) in every
 * production-type environment its product runs in, and there is at least one.
 */
export async function expectedReleases(
  sql: Sql,
  deployments?: Map<string, DeploymentState>
): Promise<Map<string, ReleaseProgressView>> {
  deployments ??= await expectedDeployments(sql)
  const [releases, members, environments] = await Promise.all([
    sql<{ id: string }[]>`select id from release`,
    sql<
      {
        release_id: string
        version_id: string
        product_id: string
        version: string
        product_name: string
      }[]
    >`
      select rv.release_id, rv.version_id, rv.product_id, v.version, p.name as product_name
      from release_version rv join version v on v.id = rv.version_id join product p on p.id = rv.product_id`,
    sql<
      { id: string; name: string; type: EnvironmentType; display_order: number | null }[]
    >`select id, name, type, display_order from environment`,
  ])
  // where each product runs: the environments it has any deployment in (its board cells)
  const runsIn = new Map<string, Set<string>>()
  const byVersionEnv = new Map<string, DeploymentState>()
  for (const d of deployments.values()) {
    runsIn.set(d.product_id, (runsIn.get(d.product_id) ?? new Set()).add(d.environment_id))
    byVersionEnv.set(`${d.version_id}/${d.environment_id}`, d)
  }
  const versionsOf = new Map<string, Array<(typeof members)[number]>>()
  for (const m of members) {
    versionsOf.set(m.release_id, [...(versionsOf.get(m.release_id) ?? []), m])
  }

  const out = new Map<string, ReleaseProgressView>()
  for (const { id } of releases) {
    const versions = [...(versionsOf.get(id) ?? [])].sort((a, b) =>
      a.product_name < b.product_name ? -1 : a.product_name > b.product_name ? 1 : 0
    )
    const used = new Set(versions.flatMap((v) => [...(runsIn.get(v.product_id) ?? [])]))
    const columns = environments.filter((e) => used.has(e.id)).sort(compareEnvironments)
    const rows = versions.map((v) => {
      const cells = columns.map((env) => {
        const d = byVersionEnv.get(`${v.version_id}/${env.id}`)
        return {
          environment_id: env.id,
          state: d ? CELL_STATE[d.status] : ('not_deployed' as const),
          status: d?.status ?? null,
          deployment_id: d?.id ?? null,
          at: d ? new Date(d.last_event_at).toISOString() : null,
          deployed_by: d?.deployed_by ?? null,
        }
      })
      const production = columns.filter(
        (env) => env.type === 'production' && runsIn.get(v.product_id)?.has(env.id)
      )
      const inProduction =
        production.length > 0 &&
        production.every(
          (env) => byVersionEnv.get(`${v.version_id}/${env.id}`)?.status === 'completed'
        )
      return {
        product_id: v.product_id,
        product_name: v.product_name,
        version_id: v.version_id,
        version: v.version,
        in_production: inProduction,
        cells,
      }
    })
    const reached = rows.filter((r) => r.in_production).length
    const progress: Progress = {
      environments: columns.map((env, i) => ({
        id: env.id,
        name: env.name,
        type: env.type,
        deployed: rows.filter((r) => r.cells[i]!.state === 'deployed').length,
        failed: rows.filter((r) => r.cells[i]!.state === 'failed').length,
        in_progress: rows.filter((r) => r.cells[i]!.state === 'in_progress').length,
      })),
      rows,
      production: {
        reached,
        total: rows.length,
        fraction: rows.length ? reached / rows.length : 0,
        all: rows.length > 0 && reached === rows.length,
      },
    }
    out.set(id, {
      progress,
      versions_count: rows.length,
      all_in_production: progress.production.all,
      production_fraction: progress.production.fraction,
    })
  }
  return out
}

export async function storedReleases(sql: Sql): Promise<Map<string, ReleaseProgressView>> {
  const rows = await sql<
    {
      id: string
      progress: Progress
      versions_count: number
      all_in_production: boolean
      production_fraction: number
    }[]
  >`select id, progress, versions_count, all_in_production, production_fraction from release`
  return new Map(rows.map(({ id, ...view }) => [id, view]))
}

/** JSON with every object's keys sorted: jsonb does not keep the order they were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  )
}

function releaseDifference(expected: ReleaseProgressView, stored: ReleaseProgressView) {
  const a = canonical(expected.progress)
  const b = canonical(stored.progress)
  if (a !== b) return `progress: expected ${a}, stored ${b}`
  if (expected.versions_count !== stored.versions_count) {
    return `versions_count: expected ${expected.versions_count}, stored ${stored.versions_count}`
  }
  if (expected.all_in_production !== stored.all_in_production) {
    return `all_in_production: expected ${expected.all_in_production}, stored ${stored.all_in_production}`
  }
  // a real (float4) column: equal to the float's precision
  if (Math.abs(expected.production_fraction - stored.production_fraction) > 1e-6) {
    return `production_fraction: expected ${expected.production_fraction}, stored ${stored.production_fraction}`
  }
  return undefined
}

export interface Consistency {
  events: number
  duplicateEvents: number
  /** Board cells (`cell <product>/<environment>: …`) and releases (`release <id>: …`) that differ. */
  mismatches: string[]
}

/**
 * Compares the maintained board and every release's progress with their recomputation; lists
 * every cell and release that differs.
 */
export async function checkConsistency(sql: Sql): Promise<Consistency> {
  const deployments = await expectedDeployments(sql)
  const [expected, stored, expectedRels, storedRels] = await Promise.all([
    expectedBoard(sql, deployments),
    storedBoard(sql),
    expectedReleases(sql, deployments),
    storedReleases(sql),
  ])
  const mismatches: string[] = []
  for (const key of new Set([...expected.keys(), ...stored.keys()])) {
    const a = JSON.stringify(expected.get(key) ?? null)
    const b = JSON.stringify(stored.get(key) ?? null)
    if (a !== b) mismatches.push(`cell ${key}: expected ${a}, stored ${b}`)
  }
  for (const [id, want] of expectedRels) {
    const have = storedRels.get(id)
    const difference = have ? releaseDifference(want, have) : 'not stored'
    if (difference) mismatches.push(`release ${id}: ${difference}`)
  }
  const [counts] = await sql<{ events: number; duplicates: number }[]>`
    select count(*)::int as events, (count(*) - count(distinct id))::int as duplicates from event`
  return { events: counts!.events, duplicateEvents: counts!.duplicates, mismatches }
}
