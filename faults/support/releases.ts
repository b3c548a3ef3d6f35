/**
 * The suite's releases: a few made through the gateway's API, as a person would, holding versions
 * the steady load keeps deploying (workload.ts deploys them in a share of its events), so every
 * fault happens while their progress moves. Versions are shared between releases, and each is
 * semantic, so Shiplog also makes an automatic release of each when it first reaches production:
 * the checker recomputes all of them.
 */
import { versionId } from '@shiplog/contracts'

import { waitFor } from './children.ts'
import type { GatewayClient } from './gateway-client.ts'
import type { Reporter } from './reporter.ts'
import type { Sql } from './system.ts'
import type { Workload } from './workload.ts'

export const RELEASE_VERSIONS = [
  { product: 'svc-0', version: '2.0.0' },
  { product: 'svc-1', version: '2.0.0' },
  { product: 'svc-2', version: '2.0.0' },
  { product: 'svc-3', version: '2.0.0' },
  { product: 'svc-4', version: '2.0.0' },
  { product: 'svc-5', version: '2.0.0' },
  { product: 'svc-0', version: '2.1.0' },
  { product: 'svc-1', version: '2.1.0' },
] as const

/** One version per product in each; some versions in two releases. */
const RELEASES = [
  { name: 'faults: checkout 2.0', versions: [0, 1, 2] },
  { name: 'faults: platform 2.0', versions: [3, 4, 6] },
  { name: 'faults: mixed', versions: [5, 7, 2] },
] as const

/**
 * Reports each release version once (so it exists), then creates the releases and adds their
 * versions through the API. Returns the releases' ids.
 */
export async function createReleases(
  api: GatewayClient,
  sql: Sql,
  reporter: Reporter,
  workload: Workload
): Promise<string[]> {
  const setup = RELEASE_VERSIONS.map(({ product, version }) =>
    workload.next('releases-setup', 'event_id', {
      product_name: product,
      version,
      environment_name: 'dev',
      status: 'pending',
    })
  )
  await Promise.all(setup.map((s) => reporter.single(s)))
  const refused = setup.filter((s) => !s.statuses.includes(202))
  if (refused.length) {
    throw new Error(
      `release versions refused: ${refused.map((s) => s.statuses.join(',')).join('; ')}`
    )
  }
  const ids = RELEASE_VERSIONS.map((v) => versionId(v.product, v.version))
  await waitFor(
    async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from version where id = any(${ids})`
      return row!.n === ids.length ? true : undefined
    },
    { timeoutMs: 30_000, message: 'the release versions were not stored' }
  )
  const created: string[] = []
  for (const release of RELEASES) {
    const { id } = await api.call<{ id: string }>('POST', '/releases', { name: release.name })
    for (const i of release.versions) {
      const v = RELEASE_VERSIONS[i]
      await api.call('POST', `/releases/${id}/versions`, {
        product_name: v.product,
        version: v.version,
      })
    }
    created.push(id)
  }
  return created
}
