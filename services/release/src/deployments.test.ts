import { DeploymentEvent, type Status } from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { applyEvent, type DeploymentState, type SequencedEvent } from './deployments.ts'

const ids = { id: 'd1', product_id: 'p', version_id: 'v', environment_id: 'e' }
let seq = 0

function ev(
  status: Status,
  times: { started_at?: string; completed_at?: string; received?: string } = {},
  extra = {}
): SequencedEvent {
  seq++
  return {
    seq,
    event: DeploymentEvent.parse({
      kind: 'deployment',
      id: `e${seq}`,
      product_name: 'api',
      version: '1.0.0',
      environment_name: 'prod',
      status,
      received_at: times.received ?? '2026-01-01T12:00:00Z',
      reporter: null,
      ...(times.started_at ? { started_at: times.started_at } : {}),
      ...(times.completed_at ? { completed_at: times.completed_at } : {}),
      ...extra,
    }),
  }
}

const fold = (events: SequencedEvent[]) =>
  events.reduce<DeploymentState | undefined>((s, e) => applyEvent(s, e, ids), undefined)!

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs]
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])
  )
}

describe('applyEvent', () => {
  it('follows pending → started → completed', () => {
    const s = fold([
      ev('pending', { started_at: '2026-01-01T10:00:00Z' }),
      ev('started', { started_at: '2026-01-01T10:01:00Z' }),
      ev('completed', { completed_at: '2026-01-01T10:05:00Z' }),
    ])
    expect(s.status).toBe('completed')
    expect(s.started_at).toBe('2026-01-01T10:00:00.000Z')
    expect(s.completed_at).toBe('2026-01-01T10:05:00.000Z')
  })

  it('keeps completed when its started arrives afterwards', () => {
    const s = fold([
      ev('completed', { completed_at: '2026-01-01T10:05:00Z' }),
      ev('started', { started_at: '2026-01-01T10:00:00Z' }),
    ])
    expect(s.status).toBe('completed')
    expect(s.started_at).toBe('2026-01-01T10:00:00.000Z')
  })

  it('lets a later stage win at the same instant', () => {
    const t = '2026-01-01T10:00:00Z'
    expect(
      fold([ev('completed', { completed_at: t }), ev('started', { started_at: t })]).status
    ).toBe('completed')
  })

  it('ranks events without their own time by arrival', () => {
    const s = fold([
      ev('started', { received: '2026-01-01T10:00:00Z' }),
      ev('failed', { received: '2026-01-01T10:03:00Z' }),
    ])
    expect(s.status).toBe('failed')
  })

  it('starts a new attempt when the same version is deployed again later', () => {
    const s = fold([
      ev('completed', { completed_at: '2026-01-01T10:05:00Z' }),
      ev('started', { started_at: '2026-01-01T12:00:00Z' }),
    ])
    expect(s.status).toBe('started')
    expect(s.completed_at).toBeNull()
  })

  it('takes who and links from the newest event, and fills gaps from older ones', () => {
    const s = fold([
      ev('completed', { completed_at: '2026-01-01T10:05:00Z' }, { deployed_by: 'ci' }),
      ev(
        'started',
        { started_at: '2026-01-01T10:00:00Z' },
        { deployed_by: 'alice', deploy_url: 'https://ci/1' }
      ),
    ])
    expect(s.deployed_by).toBe('ci')
    expect(s.deploy_url).toBe('https://ci/1')
  })

  it('reaches the same status and newest event in every arrival order', () => {
    const events = [
      ev('pending', { started_at: '2026-01-01T09:59:00Z' }),
      ev('started', { started_at: '2026-01-01T10:00:00Z' }),
      ev('completed', { completed_at: '2026-01-01T10:05:00Z' }),
      ev('started', { started_at: '2026-01-01T11:00:00Z' }),
      ev('failed', { completed_at: '2026-01-01T11:02:00Z' }),
    ]
    const outcomes = new Set(
      permutations(events).map((order) => {
        const s = fold(order)
        return JSON.stringify([
          s.status,
          s.last_event_id,
          s.last_event_at,
          s.completed_at,
          s.started_at,
        ])
      })
    )
    expect([...outcomes]).toEqual([
      JSON.stringify([
        'failed',
        events[4]!.event.id,
        '2026-01-01T11:02:00.000Z',
        '2026-01-01T11:02:00.000Z',
        '2026-01-01T09:59:00.000Z',
      ]),
    ])
  })
})
