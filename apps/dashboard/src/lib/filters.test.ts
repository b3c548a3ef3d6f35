/** Filters read from the URL, written back to it, and sent to the API. */
import { describe, expect, it } from 'vitest'

import {
  NO_TIMELINE_FILTERS,
  dayAfter,
  metricsQuery,
  parseBucket,
  parseMetricsFilters,
  parseTimelineFilters,
  readDay,
  timelineParams,
  timelineQuery,
} from './filters.ts'

const q = (s: string) => new URLSearchParams(s)

describe('days', () => {
  it('takes real UTC days only', () => {
    expect(readDay('2026-01-20')).toBe('2026-01-20')
    expect(readDay('2026-02-30')).toBeNull()
    expect(readDay('2026-1-2')).toBeNull()
    expect(readDay('yesterday')).toBeNull()
    expect(readDay(null)).toBeNull()
    expect(dayAfter('2026-12-31')).toBe('2027-01-01T00:00:00.000Z')
  })
})

describe('timeline filters', () => {
  it('parses what is valid and ignores the rest', () => {
    expect(
      parseTimelineFilters(
        q(
          'from=2026-01-01&to=2026-01-31&status=completed,bogus,draft&auto=true&product=web&env=prod'
        )
      )
    ).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      // in the lifecycle's order, whatever the URL's
      status: ['draft', 'completed'],
      automatic: true,
      product: 'web',
      environment: 'prod',
    })
    expect(parseTimelineFilters(q('from=soon&auto=maybe&product=%20%20'))).toEqual(
      NO_TIMELINE_FILTERS
    )
    expect(parseTimelineFilters(q('auto=false')).automatic).toBe(false)
  })

  it('round-trips through the URL', () => {
    const f = parseTimelineFilters(q('from=2026-01-01&status=in_progress&auto=false&env=eu'))
    expect(
      parseTimelineFilters(
        new URLSearchParams(
          Object.entries(timelineParams(f)).filter((e): e is [string, string] => e[1] !== null)
        )
      )
    ).toEqual(f)
    expect(timelineParams(NO_TIMELINE_FILTERS)).toEqual({
      from: null,
      to: null,
      status: null,
      auto: null,
      product: null,
      env: null,
    })
  })

  it('asks the API for whole UTC days, `to` being inclusive there', () => {
    const f = parseTimelineFilters(
      q('from=2026-01-01&to=2026-01-31&status=draft,completed&auto=true&product=web')
    )
    expect(timelineQuery(f, { limit: 50 })).toBe(
      '?from=2026-01-01T00%3A00%3A00.000Z&to=2026-01-31T23%3A59%3A59.999Z&status=draft%2Ccompleted&automatic=true&product=web&limit=50'
    )
    expect(timelineQuery(NO_TIMELINE_FILTERS)).toBe('')
  })
})

describe('metrics filters', () => {
  it('reads product, environment, days and the bucket; leaves `to` out for "until now"', () => {
    const f = parseMetricsFilters(q('product=web&env=production&from=2026-01-20&to=2026-01-26'))
    expect(metricsQuery(f)).toBe(
      '?from=2026-01-20T00%3A00%3A00.000Z&to=2026-01-27T00%3A00%3A00.000Z&product=web&environment=production'
    )
    expect(metricsQuery(parseMetricsFilters(q('')), { bucket: 'hour' })).toBe('?bucket=hour')
    expect(parseBucket(q('bucket=hour'))).toBe('hour')
    expect(parseBucket(q('bucket=week'))).toBe('day')
  })
})
