/**
 * The release timeline's rules, apart from the store that holds it: where a release sits (by
 * when it shipped, then id, newest first, as the API pages it), whether it passes the page's
 * filters, and how a live summary merges with what is held. A summary carries no products, so
 * the store keeps each entry's products with the `updated_at` they were read at: a summary that
 * changed `updated_at` (an edit, a version added or removed) asks for the release again, and
 * progress-only changes (every deployment) do not.
 */
import type { Release, TimelineRelease } from '@shiplog/contracts'

import type { TimelineFilters } from './filters.ts'
import { dayAfter, dayStart } from './filters.ts'
import { isNewer } from './live/merge.ts'

export type TimelineProducts = TimelineRelease['products']

export type TimelineEntry = Release & {
  /** Its products@versions; null until read (a release that arrived live). */
  products: TimelineProducts | null
  /** The `updated_at` of the copy the products were read with. */
  productsOf: string | null
}

/** A place on the timeline: ordered by (timeline_at, id), newest first. */
export interface Position {
  at: string
  id: string
}

export const positionOf = (r: Pick<Release, 'timeline_at' | 'id'>): Position => ({
  at: r.timeline_at,
  id: r.id,
})

/** Negative when `a` comes first on the timeline (is newer). */
export function compareTimeline(a: Position, b: Position): number {
  const dt = Date.parse(b.at) - Date.parse(a.at)
  if (dt) return dt
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

/** Whether a release at `p` is among those the loaded pages cover (at or above their end). */
export const covered = (p: Position, end: Position | null): boolean =>
  end === null || compareTimeline(p, end) <= 0

export const fromTimeline = (r: TimelineRelease): TimelineEntry => ({
  ...r,
  productsOf: r.updated_at,
})

/** Whether its products must be read (again): unknown, or read before its last change. */
export const needsProducts = (e: TimelineEntry): boolean =>
  e.products === null || e.productsOf !== e.updated_at

/** A live summary taken in: the newer copy wins; products stay with the entry they belong to. */
export function mergeSummary(
  held: TimelineEntry | undefined,
  summary: Release
): TimelineEntry | undefined {
  if (held && !isNewer(held, summary)) return undefined
  return { ...summary, products: held?.products ?? null, productsOf: held?.productsOf ?? null }
}

/** Whether a release passes the page's filters (the same rules the API applies). */
export function matchesTimeline(e: TimelineEntry, f: TimelineFilters): boolean {
  if (f.status.length && !f.status.includes(e.status)) return false
  if (f.automatic !== null && e.automatic !== f.automatic) return false
  const at = Date.parse(e.timeline_at)
  if (f.from && at < Date.parse(dayStart(f.from))) return false
  if (f.to && at >= Date.parse(dayAfter(f.to))) return false
  if (f.environment && e.environments !== null) {
    const env = f.environment
    if (!e.environments.some((x) => x.name === env || x.id === env)) return false
  }
  if (f.product) {
    // not yet known: left out until its products are read, rather than shown and then removed
    if (!e.products) return false
    const p = f.product
    if (!e.products.some((x) => x.product_name === p || x.product_id === p)) return false
  }
  return true
}
