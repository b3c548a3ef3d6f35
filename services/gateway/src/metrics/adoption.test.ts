import { describe, expect, it } from 'vitest'

import { computeAdoption } from './adoption.ts'

const cells = [
  { product_id: 'api', environment_id: 'eu', version_id: 'api2' },
  { product_id: 'api', environment_id: 'us', version_id: 'api2' },
  { product_id: 'web', environment_id: 'eu', version_id: 'web5' },
  { product_id: 'web', environment_id: 'us', version_id: 'web5' },
]

describe('computeAdoption', () => {
  it('counts, per day, the targeted cells whose newest success by day end is the release version', () => {
    const start = '2026-03-01T12:00:00.000Z'
    const series = computeAdoption({
      start,
      now: '2026-03-05T00:00:00.000Z',
      cells,
      deployments: [
        {
          product_id: 'api',
          environment_id: 'eu',
          version_id: 'api1',
          at: '2026-02-20T00:00:00.000Z',
        },
        {
          product_id: 'api',
          environment_id: 'eu',
          version_id: 'api2',
          at: '2026-03-01T13:00:00.000Z',
        },
        {
          product_id: 'web',
          environment_id: 'eu',
          version_id: 'web5',
          at: '2026-03-02T13:00:00.000Z',
        },
        {
          product_id: 'api',
          environment_id: 'us',
          version_id: 'api2',
          at: '2026-03-03T01:00:00.000Z',
        },
        // a rollback on day 4
        {
          product_id: 'api',
          environment_id: 'eu',
          version_id: 'api1',
          at: '2026-03-04T10:00:00.000Z',
        },
      ],
    })
    expect(series).toEqual({
      targeted: 4,
      days: [
        { date: '2026-03-01', cells: 1, percent: 25 },
        { date: '2026-03-02', cells: 2, percent: 50 },
        { date: '2026-03-03', cells: 3, percent: 75 },
        { date: '2026-03-04', cells: 2, percent: 50 },
      ],
    })
  })

  it('never goes past 30 days', () => {
    const s = computeAdoption({
      start: '2026-01-01T00:00:00.000Z',
      now: '2026-06-01T00:00:00.000Z',
      cells,
      deployments: [],
    })
    expect(s.days).toHaveLength(30)
    expect(s.days.at(-1)!.date).toBe('2026-01-30')
  })

  it('has one day on the release date itself', () => {
    const s = computeAdoption({
      start: '2026-01-01T10:00:00.000Z',
      now: '2026-01-01T11:00:00.000Z',
      cells: [],
      deployments: [],
    })
    expect(s).toEqual({ targeted: 0, days: [{ date: '2026-01-01', cells: 0, percent: 0 }] })
  })
})
