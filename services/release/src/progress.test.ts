import { describe, expect, it } from 'vitest'

import { computeProgress, type ProgressInput } from './progress.ts'

const environments: ProgressInput['environments'] = [
  { id: 'prod-eu', name: 'prod-eu', type: 'production', display_order: null },
  { id: 'dev', name: 'dev', type: 'dev', display_order: null },
  { id: 'staging', name: 'staging', type: 'staging', display_order: null },
  { id: 'prod-us', name: 'prod-us', type: 'production', display_order: null },
  { id: 'unused', name: 'unused', type: 'test', display_order: null },
]
const versions = [
  { version_id: 'u', version: '1.2.3', product_id: 'user', product_name: 'user-service' },
  { version_id: 'p', version: '4.5.6', product_id: 'pay', product_name: 'payment-api' },
]
const d = (
  version_id: string,
  environment_id: string,
  status: 'completed' | 'failed' | 'started' | 'pending' | 'aborted'
) => ({
  id: `${version_id}@${environment_id}`,
  version_id,
  environment_id,
  status,
  last_event_at: '2026-01-01T00:00:00.000Z',
  deployed_by: 'ci',
})
const everywhere = (product_id: string) =>
  ['dev', 'staging', 'prod-eu', 'prod-us'].map((environment_id) => ({ product_id, environment_id }))

describe('computeProgress', () => {
  it('draws the seed matrix: columns in board order, one row per version, a state per cell', () => {
    const p = computeProgress({
      versions,
      environments,
      productEnvironments: [...everywhere('user'), ...everywhere('pay')],
      deployments: [
        d('u', 'dev', 'completed'),
        d('u', 'staging', 'failed'),
        d('p', 'dev', 'started'),
        d('p', 'staging', 'aborted'),
      ],
    })
    expect(p.environments.map((e) => e.id)).toEqual(['dev', 'staging', 'prod-eu', 'prod-us'])
    expect(p.rows.map((r) => [r.product_name, r.cells.map((c) => c.state)])).toEqual([
      ['payment-api', ['in_progress', 'not_deployed', 'not_deployed', 'not_deployed']],
      ['user-service', ['deployed', 'failed', 'not_deployed', 'not_deployed']],
    ])
    expect(p.environments.map((e) => [e.deployed, e.failed, e.in_progress])).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [0, 0, 0],
      [0, 0, 0],
    ])
    expect(p.rows[1]!.cells[0]).toMatchObject({
      status: 'completed',
      deployed_by: 'ci',
      deployment_id: 'u@dev',
    })
  })

  it('counts a version in production once it runs in every production environment of its product', () => {
    const base = {
      versions,
      environments,
      productEnvironments: [
        ...everywhere('user'),
        { product_id: 'pay', environment_id: 'prod-us' },
      ],
    }
    const half = computeProgress({
      ...base,
      deployments: [d('u', 'prod-eu', 'completed'), d('p', 'prod-us', 'completed')],
    })
    expect(half.production).toEqual({ reached: 1, total: 2, fraction: 0.5, all: false })
    expect(half.rows.find((r) => r.version_id === 'p')!.in_production).toBe(true)
    const all = computeProgress({
      ...base,
      deployments: [
        d('u', 'prod-eu', 'completed'),
        d('u', 'prod-us', 'completed'),
        d('p', 'prod-us', 'completed'),
      ],
    })
    expect(all.production).toEqual({ reached: 2, total: 2, fraction: 1, all: true })
  })

  it('does not count a failed or in-progress production deployment', () => {
    const p = computeProgress({
      versions: versions.slice(0, 1),
      environments,
      productEnvironments: [{ product_id: 'user', environment_id: 'prod-eu' }],
      deployments: [d('u', 'prod-eu', 'started')],
    })
    expect(p.production).toEqual({ reached: 0, total: 1, fraction: 0, all: false })
  })

  it('is empty for a release without versions', () => {
    expect(
      computeProgress({ versions: [], environments, productEnvironments: [], deployments: [] })
    ).toEqual({
      environments: [],
      rows: [],
      production: { reached: 0, total: 0, fraction: 0, all: false },
    })
  })

  it('orders columns by display_order when one is set', () => {
    const p = computeProgress({
      versions: versions.slice(0, 1),
      environments: environments.map((e) => (e.id === 'prod-us' ? { ...e, display_order: -1 } : e)),
      productEnvironments: everywhere('user'),
      deployments: [],
    })
    expect(p.environments.map((e) => e.id)).toEqual(['prod-us', 'dev', 'staging', 'prod-eu'])
  })
})
