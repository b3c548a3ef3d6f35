/**
 * Adoption of a release: per calendar day (UTC) from its release date (at most 30 days, and not
 * past now), how many of its targeted product × environment cells run its versions — that is,
 * whose newest successful deployment by the end of that day is the release's version of that
 * product. The first day is the release date's, counted to its end.
 */
import { DAY_MS } from './stats.ts'

export const ADOPTION_DAYS = 30

export interface AdoptionInput {
  start: string
  now: string
  /** Targeted cells, with the release's version of the cell's product. */
  cells: ReadonlyArray<{ product_id: string; environment_id: string; version_id: string }>
  /** Successful deployments in those cells: the newest one before `start`, and all after. */
  deployments: ReadonlyArray<{
    product_id: string
    environment_id: string
    version_id: string
    at: string
  }>
}

export function computeAdoption({ start, now, cells, deployments }: AdoptionInput) {
  const firstDay = Date.parse(start.slice(0, 10))
  const nowMs = Date.parse(now)
  const days = Math.max(1, Math.min(ADOPTION_DAYS, Math.ceil((nowMs - firstDay) / DAY_MS)))
  const sorted = [...deployments].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  const targeted = cells.length
  const series = []
  for (let d = 0; d < days; d++) {
    const end = Math.min(firstDay + (d + 1) * DAY_MS, nowMs)
    const running = new Map<string, string>()
    for (const x of sorted) {
      if (Date.parse(x.at) > end) break
      running.set(`${x.product_id}/${x.environment_id}`, x.version_id)
    }
    const count = cells.filter(
      (c) => running.get(`${c.product_id}/${c.environment_id}`) === c.version_id
    ).length
    series.push({
      date: new Date(firstDay + d * DAY_MS).toISOString().slice(0, 10),
      cells: count,
      percent: targeted ? (100 * count) / targeted : 0,
    })
  }
  return { targeted, days: series }
}
