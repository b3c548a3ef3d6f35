import { describe, expect, it } from 'vitest'

import { fieldIssues } from './errors.ts'
import {
  BuildEventInput,
  DeploymentEvent,
  DeploymentEventInput,
  LIMITS,
  eventTime,
  type ShiplogEvent,
} from './events.ts'

const minimal = {
  product_name: 'api',
  version: '1.2.3',
  environment_name: 'prod',
  status: 'success',
}

function issues(input: unknown) {
  const r = DeploymentEventInput.safeParse(input)
  if (r.success) throw new Error('expected a failure')
  return Object.fromEntries(fieldIssues(r.error).map((i) => [i.field, i.message]))
}

describe('DeploymentEventInput', () => {
  it('normalizes the status and trims names', () => {
    const e = DeploymentEventInput.parse({
      ...minimal,
      product_name: ' api ',
      status: 'In_Progress',
    })
    expect(e.product_name).toBe('api')
    expect(e.status).toBe('started')
  })

  it('treats null optional fields as absent (Python clients send null)', () => {
    const e = DeploymentEventInput.parse({ ...minimal, deployed_by: null, scm_sha: null })
    expect(e.deployed_by).toBeUndefined()
    expect(e.scm_sha).toBeUndefined()
  })

  it("accepts Go's nanosecond timestamps and normalizes them to UTC", () => {
    const e = DeploymentEventInput.parse({
      ...minimal,
      completed_at: '2025-11-01T12:00:00.123456789+02:00',
    })
    expect(e.completed_at).toBe('2025-11-01T10:00:00.123Z')
  })

  it('accepts numeric build numbers as strings', () => {
    expect(DeploymentEventInput.parse({ ...minimal, build_number: 42 }).build_number).toBe('42')
  })

  it('names every offending field at once', () => {
    expect(
      issues({
        product_name: '',
        version: 3,
        status: 'nope',
        completed_at: 'yesterday',
        deploy_url: 'javascript:alert(1)',
        extra_metadata: [1],
        colour: 'red',
      })
    ).toEqual({
      product_name: 'must not be empty',
      version: 'must be a string, not number',
      environment_name: 'is required',
      status: expect.stringContaining('unknown status "nope"'),
      completed_at: expect.stringContaining('RFC 3339'),
      deploy_url: 'must be an http(s) URL',
      extra_metadata: 'must be a JSON object',
      colour: 'is not a known field',
    })
  })

  it('limits extra_metadata to 100 KB and 32 levels', () => {
    const big = { blob: 'x'.repeat(LIMITS.metadataBytes) }
    expect(issues({ ...minimal, extra_metadata: big }).extra_metadata).toMatch(/100 KB/)
    let deep: Record<string, unknown> = {}
    for (let i = 0; i < 40; i++) deep = { d: deep }
    expect(issues({ ...minimal, extra_metadata: deep }).extra_metadata).toMatch(/nest/)
  })

  it('rejects NUL, which Postgres cannot store', () => {
    expect(issues({ ...minimal, deployed_by: 'a\u0000b' }).deployed_by).toMatch(/NUL/)
    expect(issues({ ...minimal, extra_metadata: { k: 'a\u0000' } }).extra_metadata).toMatch(/NUL/)
    expect(issues({ ...minimal, product_name: 'a\u0000b' }).product_name).toMatch(/control/)
  })

  // Both used to pass, be answered 202, and then be dead-lettered by Postgres (fault suite).
  it('rejects lone surrogates, which Postgres cannot store', () => {
    expect(issues({ ...minimal, product_name: 'a\ud800b' }).product_name).toMatch(/Unicode/)
    expect(issues({ ...minimal, deployed_by: '\udc00' }).deployed_by).toMatch(/Unicode/)
    expect(issues({ ...minimal, deploy_url: 'https://ci/\ud800' }).deploy_url).toMatch(/Unicode/)
    expect(
      issues({ ...minimal, extra_metadata: { a: [{ b: 'x\ud800' }] } }).extra_metadata
    ).toMatch(/Unicode/)
    expect(issues({ ...minimal, extra_metadata: { ['k\udfff']: 1 } }).extra_metadata).toMatch(
      /Unicode/
    )
    // a well-formed pair is an ordinary character
    expect(DeploymentEventInput.safeParse({ ...minimal, deployed_by: 'ship 🚀' }).success).toBe(
      true
    )
  })

  it('keeps timestamps within the years Postgres stores', () => {
    expect(issues({ ...minimal, started_at: '0000-06-01T00:00:00Z' }).started_at).toMatch(/0001/)
    expect(issues({ ...minimal, completed_at: '0001-01-01T00:30:00+01:00' }).completed_at).toMatch(
      /0001/
    )
    expect(issues({ ...minimal, completed_at: '9999-12-31T23:30:00-01:00' }).completed_at).toMatch(
      /9999/
    )
    expect(
      DeploymentEventInput.parse({ ...minimal, completed_at: '0001-01-01T00:00:00Z' })
    ).toMatchObject({
      completed_at: '0001-01-01T00:00:00.000Z',
    })
  })

  it('rejects over-long names', () => {
    expect(issues({ ...minimal, version: 'v'.repeat(256) }).version).toMatch(/255/)
  })

  it('accepts the deprecated skip_preflight_checks that old CLIs send', () => {
    expect(
      DeploymentEventInput.safeParse({ ...minimal, skip_preflight_checks: true }).success
    ).toBe(true)
  })
})

describe('BuildEventInput', () => {
  it("needs no environment and accepts the Action's built_at", () => {
    const b = BuildEventInput.parse({
      product_name: 'api',
      version: '1.2.3',
      status: 'built',
      built_at: '2025-11-01T10:00:00Z',
    })
    expect(b.status).toBe('completed')
    expect(b.built_at).toBe('2025-11-01T10:00:00.000Z')
  })
})

describe('eventTime', () => {
  const base = DeploymentEvent.parse({
    kind: 'deployment',
    ...minimal,
    status: 'completed',
    id: 'e1',
    received_at: '2026-01-01T12:00:00Z',
    reporter: null,
  })
  const at = (patch: Partial<ShiplogEvent>) => eventTime({ ...base, ...patch })

  it('uses completed_at for terminal statuses and started_at for the others', () => {
    const times = {
      started_at: '2026-01-01T10:00:00.000Z',
      completed_at: '2026-01-01T11:00:00.000Z',
    }
    expect(at({ ...times, status: 'completed' })).toBe(times.completed_at)
    expect(at({ ...times, status: 'failed' })).toBe(times.completed_at)
    expect(at({ ...times, status: 'started' })).toBe(times.started_at)
    expect(at({ ...times, status: 'pending' })).toBe(times.started_at)
  })

  it('falls back to the time ingest received it', () => {
    expect(at({ status: 'completed' })).toBe('2026-01-01T12:00:00.000Z')
  })

  it('never lets a clock that runs ahead date an event after its arrival', () => {
    expect(at({ completed_at: '2027-01-01T00:00:00.000Z' })).toBe('2026-01-01T12:00:00.000Z')
  })
})

describe('Label and FreeText', () => {
  it('refuse what Postgres could not store as it is', async () => {
    const { Label, FreeText } = await import('./events.ts')
    expect(Label(10).safeParse(' ok ').data).toBe('ok')
    expect(Label(10).safeParse('a\nb').success).toBe(false)
    expect(Label(10).safeParse('\ud800').success).toBe(false)
    expect(FreeText(10).safeParse('a\nb').success).toBe(true)
    expect(FreeText(10).safeParse('a\u0000').success).toBe(false)
    expect(FreeText(10).safeParse('x\udc00').success).toBe(false)
  })
})
