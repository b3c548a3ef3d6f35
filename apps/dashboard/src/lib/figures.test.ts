/** Durations, rates, percentages and date inputs as the new pages print them. */
import { describe, expect, it } from 'vitest'

import {
  duration,
  fromLocalInput,
  perDay,
  percent,
  percentOf,
  toLocalInput,
  utc,
} from './format.ts'
import { match } from './router.svelte.ts'

describe('durations', () => {
  it('reads in at most two units, rounding what is below them', () => {
    expect(duration(0)).toBe('0 s')
    expect(duration(44.6)).toBe('45 s')
    expect(duration(150)).toBe('2 min 30 s')
    expect(duration(180)).toBe('3 min')
    expect(duration(45 * 60)).toBe('45 min')
    expect(duration(45 * 60 + 20)).toBe('45 min')
    expect(duration(2 * 3600)).toBe('2 h')
    expect(duration(2.75 * 3600)).toBe('2 h 45 min')
    // DORA's p90 of the hand-computed week: 2.75 h + 0.8 × 21.25 h
    expect(duration((2.75 + 0.8 * (24 - 2.75)) * 3600)).toBe('19 h 45 min')
    expect(duration(24 * 3600)).toBe('1 d')
    expect(duration(27 * 3600)).toBe('1 d 3 h')
    expect(duration(12 * 86_400 + 3600)).toBe('12 d')
    expect(duration(-90)).toBe('−1 min 30 s')
  })

  it('says "—" when there was nothing to measure', () => {
    expect(duration(null)).toBe('—')
    expect(duration(undefined)).toBe('—')
    expect(duration(Number.NaN)).toBe('—')
  })
})

describe('rates and shares', () => {
  it('per day with as many digits as mean something', () => {
    expect(perDay(0)).toBe('0 / day')
    expect(perDay(3 / 7)).toBe('0.43 / day')
    expect(perDay(1.25)).toBe('1.3 / day')
    expect(perDay(2)).toBe('2 / day')
    expect(perDay(12.4)).toBe('12 / day')
  })

  it('percentages: fractions rounded whole, API percentages to one decimal', () => {
    expect(percent(1 / 4)).toBe('25%')
    expect(percentOf(100)).toBe('100%')
    expect(percentOf((100 * 5) / 6)).toBe('83.3%')
    expect(percentOf(50.04)).toBe('50%')
  })

  it('times in UTC to the minute', () => {
    expect(utc('2026-01-20T09:45:30.000Z')).toBe('2026-01-20 09:45 UTC')
    expect(utc(null)).toBe('')
  })
})

describe('date inputs', () => {
  it('round-trips through the browser-local datetime-local value', () => {
    const iso = '2026-04-01T07:00:00.000Z'
    const local = toLocalInput(iso)
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/)
    expect(fromLocalInput(local)).toBe(iso)
    expect(toLocalInput(null)).toBe('')
    expect(fromLocalInput('')).toBeNull()
    expect(fromLocalInput('not a date')).toBeNull()
  })
})

describe('the new routes', () => {
  it('names the timeline, report, charts, DORA and settings pages', () => {
    expect(match('/timeline')).toMatchObject({ name: 'timeline' })
    expect(match('/releases/01a2-x/report')).toMatchObject({ name: 'report', param: '01a2-x' })
    expect(match('/releases/01a2-x/report').key).not.toBe(match('/releases/01a2-x').key)
    expect(match('/charts/')).toMatchObject({ name: 'charts' })
    expect(match('/dora')).toMatchObject({ name: 'dora' })
    expect(match('/settings')).toMatchObject({ name: 'settings' })
    expect(match('/releases/a/report/x')).toMatchObject({ name: 'not_found' })
  })
})
