import { describe, expect, it } from 'vitest'

import { DEFAULT_EXCLUDE_PATTERNS, isBackfill, isExcluded, isSemver } from './intelligence.ts'

describe('isSemver', () => {
  it.each([
    '1.2',
    '1.2.3',
    'v1.2.3',
    '0.0.1',
    '10.20.30-rc.1',
    '1.0.0+build.5',
    'v2.0.0-beta+exp.sha.5114f85',
  ])('%s is', (v) => {
    expect(isSemver(v)).toBe(true)
  })
  it.each([
    '12345',
    '1',
    '4f2a9c1d',
    'abcdef1234567890',
    '1.2.3.4',
    '01.2.3',
    'release-1.2.3',
    'v',
    '1.2.',
  ])('%s is not', (v) => {
    expect(isSemver(v)).toBe(false)
  })
})

describe('isExcluded', () => {
  const defaults = [...DEFAULT_EXCLUDE_PATTERNS]
  it('excludes names with a non-production word', () => {
    expect(isExcluded('payment-test', defaults)).toBe(true)
    expect(isExcluded('QA', defaults)).toBe(true)
    expect(isExcluded('prod-sandbox', defaults)).toBe(true)
    expect(isExcluded('Development Env', defaults)).toBe(true)
  })
  it('does not read words inside words', () => {
    expect(isExcluded('latest', defaults)).toBe(false)
    expect(isExcluded('contest-api', defaults)).toBe(false)
    expect(isExcluded('production', defaults)).toBe(false)
  })
  it('takes globs over the whole name', () => {
    expect(isExcluded('web-preview', ['*-preview'])).toBe(true)
    expect(isExcluded('preview-web', ['*-preview'])).toBe(false)
    expect(isExcluded('a.b', ['a.*'])).toBe(true)
    expect(isExcluded('axb', ['a.b'])).toBe(false)
  })
})

describe('isBackfill', () => {
  const received_at = '2026-01-02T12:00:00.000Z'
  it('is what the client says, or older than the horizon on arrival', () => {
    expect(isBackfill({ received_at, backfill: true }, received_at, 24)).toBe(true)
    expect(isBackfill({ received_at }, '2026-01-01T11:59:00.000Z', 24)).toBe(true)
    expect(isBackfill({ received_at }, '2026-01-01T12:01:00.000Z', 24)).toBe(false)
  })
})
