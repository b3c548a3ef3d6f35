/** The chart's geometry: bars stacked by status, markers in their bucket and apart from each other. */
import type { DeploymentStats } from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { bucketLabel, placeMarkers, stackBuckets, type Marker } from './stack.ts'

const counts = (completed: number, failed: number, aborted: number) => ({
  pending: 0,
  started: 0,
  completed,
  failed,
  aborted,
})

const stats: Pick<DeploymentStats, 'bucket' | 'buckets'> = {
  bucket: 'day',
  buckets: [
    { at: '2026-01-10T00:00:00.000Z', counts: counts(1, 1, 0), total: 2 },
    { at: '2026-01-11T00:00:00.000Z', counts: counts(0, 0, 0), total: 0 },
    { at: '2026-01-12T00:00:00.000Z', counts: counts(3, 0, 2), total: 5 },
  ],
}

describe('stacking', () => {
  it('stacks completed, then failed, then aborted, each top the sum of those below', () => {
    const s = stackBuckets(stats)
    expect(s.step).toBe(86_400)
    expect(s.counts).toEqual({ completed: [1, 0, 3], failed: [1, 0, 0], aborted: [0, 0, 2] })
    expect(s.tops).toEqual({ completed: [1, 0, 3], failed: [2, 0, 3], aborted: [2, 0, 5] })
    expect(s.totals).toEqual([2, 0, 5])
    expect(s.max).toBe(5)
  })

  it("centres each bar in its bucket, so a release at 14:00 falls inside its day's bar", () => {
    const s = stackBuckets(stats)
    const jan10 = Date.parse('2026-01-10T00:00:00Z') / 1000
    expect(s.x[0]).toBe(jan10 + 43_200)
    const hours = stackBuckets({
      bucket: 'hour',
      buckets: [{ at: '2026-01-10T05:00:00.000Z', counts: counts(1, 0, 0), total: 1 }],
    })
    expect(hours.x[0]).toBe(jan10 + 5 * 3600 + 1800)
    // the axis spans whole buckets, the last (today's, still running) included
    expect(s.range).toEqual([jan10, jan10 + 3 * 86_400])
    expect(hours.range).toEqual([jan10 + 5 * 3600, jan10 + 6 * 3600])
    expect(stackBuckets({ bucket: 'day', buckets: [] }).max).toBe(0)
  })

  it('names buckets in words, in UTC', () => {
    expect(bucketLabel('2026-01-10T00:00:00.000Z', 'day')).toMatch(/10/)
    expect(bucketLabel('2026-01-10T14:00:00.000Z', 'hour')).toMatch(/14:00 UTC$/)
  })
})

describe('markers', () => {
  const marker = (id: string, at: string): Marker => ({ id, name: id, at, automatic: false })
  // 1 px per minute from 2026-01-10 00:00
  const origin = Date.parse('2026-01-10T00:00:00Z') / 1000
  const toPx = (s: number) => (s - origin) / 60

  it('puts each release at its time, in time order, leaving out those outside the plot', () => {
    const placed = placeMarkers(
      [
        marker('late', '2026-01-10T10:00:00Z'),
        marker('early', '2026-01-10T01:00:00Z'),
        marker('before', '2026-01-09T23:00:00Z'),
        marker('after', '2026-01-11T00:00:00Z'),
      ],
      toPx,
      1000
    )
    expect(placed.map((m) => [m.id, m.left, m.lane])).toEqual([
      ['early', 60, 0],
      ['late', 600, 0],
    ])
  })

  it('moves releases too close together to lower lanes, and back up once there is room', () => {
    const placed = placeMarkers(
      [
        marker('a', '2026-01-10T01:00:00Z'), // 60
        marker('b', '2026-01-10T01:05:00Z'), // 65: too close to a
        marker('c', '2026-01-10T01:10:00Z'), // 70: too close to a and b
        marker('d', '2026-01-10T01:20:00Z'), // 80: 20 px past a
      ],
      toPx,
      1000,
      16
    )
    expect(placed.map((m) => [m.id, m.lane])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 0],
    ])
  })

  it('shares the lane whose last flag is furthest when every lane is taken', () => {
    const at = (m: number) => new Date((origin + m * 60) * 1000).toISOString()
    const placed = placeMarkers(
      [0, 1, 2, 3].map((m) => marker(`m${m}`, at(100 + m))),
      toPx,
      1000,
      16,
      3
    )
    expect(placed.map((m) => m.lane)).toEqual([0, 1, 2, 0])
  })
})
