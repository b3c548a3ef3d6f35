/**
 * A release's progress: the product × environment matrix of its versions, as the seed draws it
 * (✅ deployed, ❌ not deployed, 🔴 failed, 🟡 in progress), how many versions are deployed in
 * each environment, and how many have reached production. Computed from stored deployments
 * every time (never incremented), so redeliveries and duplicates cannot drift it.
 */
import {
  compareEnvironments,
  type CellState,
  type EnvironmentType,
  type Progress,
  type ProgressCell,
  type Status,
} from '@shiplog/contracts'

export interface ProgressInput {
  versions: ReadonlyArray<{
    version_id: string
    version: string
    product_id: string
    product_name: string
  }>
  deployments: ReadonlyArray<{
    id: string
    version_id: string
    environment_id: string
    status: Status
    last_event_at: string
    deployed_by: string | null
  }>
  environments: ReadonlyArray<{
    id: string
    name: string
    type: EnvironmentType
    display_order: number | null
  }>
  /** The board's cells of the release's products: where each product runs. */
  productEnvironments: ReadonlyArray<{ product_id: string; environment_id: string }>
}

const STATE: Record<Status, CellState> = {
  completed: 'deployed',
  failed: 'failed',
  pending: 'in_progress',
  started: 'in_progress',
  // an aborted deployment left the version where it was not
  aborted: 'not_deployed',
}

export function computeProgress(input: ProgressInput): Progress {
  const productIds = new Set(input.versions.map((v) => v.product_id))
  const runsIn = new Map<string, Set<string>>()
  for (const { product_id, environment_id } of input.productEnvironments) {
    if (!productIds.has(product_id)) continue
    runsIn.set(product_id, (runsIn.get(product_id) ?? new Set()).add(environment_id))
  }
  const byCell = new Map(input.deployments.map((d) => [`${d.version_id}/${d.environment_id}`, d]))
  const used = new Set([...runsIn.values()].flatMap((s) => [...s]))
  for (const d of input.deployments) used.add(d.environment_id)
  const columns = input.environments.filter((e) => used.has(e.id)).sort(compareEnvironments)

  const rows = [...input.versions]
    .sort((a, b) =>
      a.product_name < b.product_name ? -1 : a.product_name > b.product_name ? 1 : 0
    )
    .map((v) => {
      const cells: ProgressCell[] = columns.map((env) => {
        const d = byCell.get(`${v.version_id}/${env.id}`)
        return {
          environment_id: env.id,
          state: d ? STATE[d.status] : 'not_deployed',
          status: d?.status ?? null,
          deployment_id: d?.id ?? null,
          at: d?.last_event_at ?? null,
          deployed_by: d?.deployed_by ?? null,
        }
      })
      const production = columns.filter(
        (env) => env.type === 'production' && runsIn.get(v.product_id)?.has(env.id)
      )
      const inProduction =
        production.length > 0 &&
        production.every((env) => byCell.get(`${v.version_id}/${env.id}`)?.status === 'completed')
      return { ...v, in_production: inProduction, cells }
    })

  const reached = rows.filter((r) => r.in_production).length
  return {
    environments: columns.map((env, i) => {
      const count = (state: CellState) => rows.filter((r) => r.cells[i]!.state === state).length
      return {
        id: env.id,
        name: env.name,
        type: env.type,
        deployed: count('deployed'),
        failed: count('failed'),
        in_progress: count('in_progress'),
      }
    }),
    rows: rows.map(({ product_id, product_name, version_id, version, in_production, cells }) => ({
      product_id,
      product_name,
      version_id,
      version,
      in_production,
      cells,
    })),
    production: {
      reached,
      total: rows.length,
      fraction: rows.length ? reached / rows.length : 0,
      all: rows.length > 0 && reached === rows.length,
    },
  }
}
