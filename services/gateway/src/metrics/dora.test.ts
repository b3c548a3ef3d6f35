import { describe, expect, it } from 'vitest'

import { doraByProduct, doraFigures, type DoraEvent } from './dora.ts'

const ev = (
  product: string,
  status: 'completed' | 'failed',
  at: string,
  extra: Partial<DoraEvent> = {}
): DoraEvent => ({
  product_id: product,
  product_name: product,
  status,
  at,
  committed_at: null,
  recovered_at: null,
  ...extra,
})

// A hand-computed week, 2026-03-01 to 2026-03-08 (7 days):
//  api: ok 03-01 10:00 (commit 2 h before), ok 03-01 15:00 (commit 5 h before), failed 03-03 09:00
//       (recovered 03-03 09:30), ok 03-03 09:30 (commit 1 h before), ok 03-05 12:00 (no commit time)
//  web: failed 03-06 08:00 (never recovered), ok 03-04 08:00 (commit 24 h before)
const week: DoraEvent[] = [
  ev('api', 'completed', '2026-03-01T10:00:00.000Z', { committed_at: '2026-03-01T08:00:00.000Z' }),
  ev('api', 'completed', '2026-03-01T15:00:00.000Z', { committed_at: '2026-03-01T10:00:00.000Z' }),
  ev('api', 'failed', '2026-03-03T09:00:00.000Z', { recovered_at: '2026-03-03T09:30:00.000Z' }),
  ev('api', 'completed', '2026-03-03T09:30:00.000Z', { committed_at: '2026-03-03T08:30:00.000Z' }),
  ev('api', 'completed', '2026-03-05T12:00:00.000Z'),
  ev('web', 'failed', '2026-03-06T08:00:00.000Z'),
  ev('web', 'completed', '2026-03-04T08:00:00.000Z', { committed_at: '2026-03-03T08:00:00.000Z' }),
]
const from = '2026-03-01T00:00:00.000Z'
const to = '2026-03-08T00:00:00.000Z'
const H = 3600

describe('doraFigures', () => {
  it('computes the four figures of a hand-computed week', () => {
    const figures = doraFigures(week, from, to)
    expect(figures.lead_time.p90).toBeCloseTo(18.3 * H, 6)
    expect({ ...figures, lead_time: { ...figures.lead_time, p90: 18.3 * H } }).toEqual({
      deployments: 5,
      // 03-01, 03-03, 03-04, 03-05
      deployment_days: 4,
      days: 7,
      deployments_per_day: 5 / 7,
      // lead times 2 h, 5 h, 1 h, 24 h → sorted 1, 2, 5, 24: median 3.5 h, p90 = 5 + 0.7 × 19 = 18.3 h
      lead_time: { median: 3.5 * H, p90: 18.3 * H, samples: 4 },
      // 2 failed of 7 terminal
      change_failure_rate: 2 / 7,
      failed_deployments: 2,
      recovery_time: { median: 0.5 * H, p90: 0.5 * H, recovered: 1, unrecovered: 1 },
    })
  })

  it('splits by product', () => {
    const [api, web] = doraByProduct(week, from, to)
    expect(api).toMatchObject({
      product_name: 'api',
      deployments: 4,
      change_failure_rate: 1 / 5,
      deployment_days: 3,
    })
    // lead times 2 h, 5 h, 1 h → median 2 h; p90 = 2 + 0.8 × (5 − 2) = 4.4 h
    expect(api!.lead_time.median).toBe(2 * H)
    expect(api!.lead_time.p90).toBeCloseTo(4.4 * H, 6)
    expect(api!.lead_time.samples).toBe(3)
    expect(web).toMatchObject({ product_name: 'web', deployments: 1, change_failure_rate: 1 / 2 })
    expect(web!.recovery_time).toEqual({ median: null, p90: null, recovered: 0, unrecovered: 1 })
  })

  it('has no rates without deployments', () => {
    expect(doraFigures([], from, to)).toMatchObject({
      deployments: 0,
      change_failure_rate: null,
      lead_time: { median: null },
    })
  })
})
