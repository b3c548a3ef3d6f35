/**
 * The deployments chart's geometry, apart from the library that draws it: buckets stacked by
 * status (completed at the bottom, then failed, then aborted), each bar spanning its bucket so a
 * release marker lands inside the bar of the day or hour it shipped in, and markers spread over
 * lanes so that releases close together stay apart enough to hover, click and read.
 */
import type { DeploymentStats } from '@shiplog/contracts'

/** Bottom to top. */
export const STACK = ['completed', 'failed', 'aborted'] as const
export type Stacked = (typeof STACK)[number]

export interface StackedBuckets {
  /** A bucket's length in seconds. */
  step: number
  /** Each bucket's middle, in Unix seconds (where its bar is centred). */
  x: number[]
  /** Each bucket's start, as the API names it. */
  at: string[]
  /** Per status, its own count per bucket. */
  counts: Record<Stacked, number[]>
  /** Per status, the top of its segment: its count plus those of every status below it. */
  tops: Record<Stacked, number[]>
  totals: number[]
  max: number
  /**
   * What the x axis spans, in Unix seconds: whole buckets, from the first one's start to the
   * last one's end (today's bucket is drawn whole, though the range ends now).
   */
  range: [number, number]
}

export function stackBuckets(stats: Pick<DeploymentStats, 'bucket' | 'buckets'>): StackedBuckets {
  const step = stats.bucket === 'hour' ? 3600 : 86_400
  const counts = { completed: [], failed: [], aborted: [] } as Record<Stacked, number[]>
  const tops = { completed: [], failed: [], aborted: [] } as Record<Stacked, number[]>
  const x: number[] = []
  const at: string[] = []
  const totals: number[] = []
  for (const b of stats.buckets) {
    x.push(Date.parse(b.at) / 1000 + step / 2)
    at.push(b.at)
    let sum = 0
    for (const s of STACK) {
      const n = b.counts[s] ?? 0
      sum += n
      counts[s].push(n)
      tops[s].push(sum)
    }
    totals.push(sum)
  }
  const first = x[0] ?? 0
  const last = x.at(-1) ?? first
  return {
    step,
    x,
    at,
    counts,
    tops,
    totals,
    max: Math.max(0, ...totals),
    range: [first - step / 2, last + step / 2],
  }
}

export interface Marker {
  id: string
  name: string
  at: string
  automatic: boolean
}

export interface PlacedMarker extends Marker {
  /** Pixels from the plot's left edge. */
  left: number
  /** 0 for the top row of flags; releases too close to an earlier one go a row lower. */
  lane: number
}

/**
 * Places each marker at its time (`toPx`: Unix seconds → px); those outside [0, width] are left
 * out. A marker closer than `gap` px to the last one in a lane goes to the next lane, up to
 * `lanes`; past that it shares the lane whose last flag is furthest away.
 */
export function placeMarkers(
  markers: readonly Marker[],
  toPx: (seconds: number) => number,
  width: number,
  gap = 16,
  lanes = 4
): PlacedMarker[] {
  const sorted = [...markers].sort(
    (a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
  const ends: number[] = []
  const placed: PlacedMarker[] = []
  for (const m of sorted) {
    const left = toPx(Date.parse(m.at) / 1000)
    if (!Number.isFinite(left) || left < 0 || left > width) continue
    let lane = ends.findIndex((end) => left - end >= gap)
    if (lane < 0) {
      if (ends.length < lanes) lane = ends.length
      else lane = ends.indexOf(Math.min(...ends))
    }
    ends[lane] = left
    placed.push({ ...m, left, lane })
  }
  return placed
}

/** A bucket in words: "20 Jan 2026" or "20 Jan, 14:00 UTC". */
export function bucketLabel(at: string, bucket: 'day' | 'hour'): string {
  const d = new Date(at)
  const date = d.toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(bucket === 'day' ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  })
  return bucket === 'day' ? date : `${date}, ${at.slice(11, 16)} UTC`
}
