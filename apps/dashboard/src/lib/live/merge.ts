/**
 * The convergence rule, per entity: of two copies, keep the newer. Board cells and releases carry
 * a `rev` that grows with every change, so the higher rev wins whatever order copies arrive in
 * (snapshot or message, late or repeated). Deployments carry no rev: the newer is the one whose
 * own time is later, then the one further along its lifecycle (pending, started, then an end).
 */
import { versionKey, type BoardCell, type Deployment, type ReleaseDetail } from '@shiplog/contracts'

export interface Revised {
  rev: number
}

/** Whether `incoming` should replace `current`. Equal revs are the same state: keep what is there. */
export const isNewer = (current: Revised | undefined, incoming: Revised): boolean =>
  current === undefined || incoming.rev > current.rev

export const cellKey = (cell: Pick<BoardCell, 'product_id' | 'environment_id'>): string =>
  `${cell.product_id}/${cell.environment_id}`

/**
 * A snapshot taken in: its entities are the members (one it lacks is gone), but an entity we
 * already hold with a higher rev keeps that copy (the snapshot was read before that change).
 */
export function mergeSnapshot<T extends Revised>(
  held: ReadonlyMap<string, T>,
  snapshot: readonly T[],
  key: (item: T) => string
): Map<string, T> {
  const next = new Map<string, T>()
  for (const item of snapshot) {
    const k = key(item)
    const mine = held.get(k)
    const other = next.get(k)
    const best = other && !isNewer(other, item) ? other : item
    next.set(k, mine && isNewer(best, mine) ? mine : best)
  }
  return next
}

/** Live copies merged in: returns a new map when anything changed, the same one otherwise. */
export function mergeUpdates<T extends Revised>(
  held: ReadonlyMap<string, T>,
  updates: readonly T[],
  key: (item: T) => string
): ReadonlyMap<string, T> {
  let next: Map<string, T> | null = null
  for (const item of updates) {
    const k = key(item)
    if (!isNewer((next ?? held).get(k), item)) continue
    next ??= new Map(held)
    next.set(k, item)
  }
  return next ?? held
}

/**
 * A copy of a release taken in (a snapshot or a live message); returns what to hold, `held`
 * itself when the copy is older, or 'refetch' when a partial copy cannot be completed.
 *
 * A complete copy at least as new replaces ours: equal revs are the same state, and taking it
 * also repairs rows a partial copy left behind (a partial copy's read can include a change whose
 * row only the next message carries). A partial copy carries only the progress rows that changed
 * (contracts `LiveMessage`): its rows replace ours when we hold the same versions, since rows
 * are keyed by version; with other versions, or nothing held, only a fresh read can complete it.
 */
export function takeRelease(
  held: ReleaseDetail | null,
  incoming: ReleaseDetail,
  partial = false
): ReleaseDetail | 'refetch' {
  if (held && incoming.rev < held.rev) return held
  if (!partial) return incoming
  if (!held || versionKey(held) !== versionKey(incoming)) return 'refetch'
  const rows = new Map(incoming.progress.rows.map((r) => [r.version_id, r]))
  return {
    ...incoming,
    progress: {
      ...incoming.progress,
      rows: held.progress.rows.map((r) => rows.get(r.version_id) ?? r),
    },
  }
}

const STAGE: Record<Deployment['status'], number> = {
  pending: 0,
  started: 1,
  completed: 2,
  failed: 2,
  aborted: 2,
}

/** Whether `incoming` is a newer copy of the same deployment than `current`. */
export function isNewerDeployment(
  current: Pick<Deployment, 'deployed_at' | 'status'> | undefined,
  incoming: Pick<Deployment, 'deployed_at' | 'status'>
): boolean {
  if (!current) return true
  const dt = Date.parse(incoming.deployed_at) - Date.parse(current.deployed_at)
  if (dt !== 0) return dt > 0
  return STAGE[incoming.status] >= STAGE[current.status]
}

/** Newest first by the deployment's own time, then by id (the API's order). */
export function byDeployedAtDesc(a: Deployment, b: Deployment): number {
  const dt = Date.parse(b.deployed_at) - Date.parse(a.deployed_at)
  return dt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/**
 * Deployments merged by id (newer copy wins), newest first, at most `limit` of them. With `keep`,
 * only deployments it accepts are taken in (e.g. only a release's versions).
 */
export function mergeDeployments(
  held: readonly Deployment[],
  incoming: readonly Deployment[],
  limit = Infinity,
  keep: (d: Deployment) => boolean = () => true
): Deployment[] {
  const byId = new Map(held.map((d) => [d.id, d]))
  let changed = false
  for (const d of incoming) {
    if (!keep(d) || !isNewerDeployment(byId.get(d.id), d)) continue
    byId.set(d.id, d)
    changed = true
  }
  if (!changed) return held as Deployment[]
  return [...byId.values()].sort(byDeployedAtDesc).slice(0, limit)
}

/** A deployment snapshot taken in: its rows are the members, newer held copies win. */
export function mergeDeploymentSnapshot(
  held: readonly Deployment[],
  snapshot: readonly Deployment[],
  limit = Infinity
): Deployment[] {
  const mine = new Map(held.map((d) => [d.id, d]))
  return snapshot
    .map((d) => {
      const h = mine.get(d.id)
      return h && !isNewerDeployment(h, d) ? h : d
    })
    .sort(byDeployedAtDesc)
    .slice(0, limit)
}
