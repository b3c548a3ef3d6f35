/**
 * One product's page: its board cells, its versions and its deployment history per environment,
 * from its `product:<id>` room. Cells converge by rev, deployments by their own time; a deployment
 * of a version we have not listed, or in an environment we do not know, makes us read those again.
 */
import {
  Room,
  compareEnvironments,
  type BoardCell,
  type Deployment,
  type Environment,
  type LiveMessage,
  type Product,
  type Version,
} from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { coalesce } from '../live/coalesce.ts'
import {
  cellKey,
  mergeDeploymentSnapshot,
  mergeDeployments,
  mergeSnapshot,
  mergeUpdates,
} from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

export const PRODUCT_DEPLOYMENTS = 500

export interface ProductSnapshot {
  product: Product & { cells: BoardCell[] }
  versions: Version[]
  deployments: Deployment[]
  environments: Environment[]
}

export interface EnvironmentHistory {
  environment: Environment
  cell: BoardCell | undefined
  deployments: Deployment[]
}

export class ProductStore extends Loadable implements RoomHandler<ProductSnapshot> {
  readonly id: string
  readonly room: string
  product = $state.raw<Product | null>(null)
  cells = $state.raw<ReadonlyMap<string, BoardCell>>(new Map())
  versions = $state.raw<Version[]>([])
  deployments = $state.raw<Deployment[]>([])
  environments = $state.raw<Environment[]>([])

  /** Per environment it was ever deployed to, in board order: its cell and its deployments. */
  readonly history: EnvironmentHistory[] = $derived.by(() => {
    const cells = new Map([...this.cells.values()].map((c) => [c.environment_id, c]))
    const byEnv = new Map<string, Deployment[]>()
    for (const d of this.deployments) {
      const list = byEnv.get(d.environment_id) ?? []
      list.push(d)
      byEnv.set(d.environment_id, list)
    }
    return this.environments
      .filter((e) => cells.has(e.id) || byEnv.has(e.id))
      .map((environment) => ({
        environment,
        cell: cells.get(environment.id),
        deployments: byEnv.get(environment.id) ?? [],
      }))
  })

  readonly #api: Api

  constructor(api: Api, id: string) {
    super()
    this.#api = api
    this.id = id
    this.room = Room.product(id)
  }

  async fetch(): Promise<ProductSnapshot> {
    const id = encodeURIComponent(this.id)
    const [product, versions, deployments, environments] = await Promise.all([
      this.#api.get<ProductSnapshot['product']>(`/products/${id}`),
      this.#api.get<{ items: Version[] }>(`/versions?product=${id}&limit=500`),
      this.#api.get<{ items: Deployment[] }>(
        `/deployments?product=${id}&limit=${PRODUCT_DEPLOYMENTS}`
      ),
      this.#api.get<{ items: Environment[] }>('/environments'),
    ])
    return {
      product,
      versions: versions.items,
      deployments: deployments.items,
      environments: environments.items,
    }
  }

  reset(s: ProductSnapshot): void {
    const { cells, ...product } = s.product
    this.product = product
    this.cells = mergeSnapshot(this.cells, cells, cellKey)
    this.versions = s.versions
    this.deployments = mergeDeploymentSnapshot(this.deployments, s.deployments, PRODUCT_DEPLOYMENTS)
    this.environments = [...s.environments].sort(compareEnvironments)
    this.succeeded()
  }

  apply(message: LiveMessage): void {
    if (message.type === 'cells') {
      const mine = message.cells.filter((c) => c.product_id === this.id)
      this.cells = mergeUpdates(this.cells, mine, cellKey)
      this.#checkEnvironments(mine.map((c) => c.environment_id))
    } else if (message.type === 'deployments') {
      const mine = message.deployments.filter((d) => d.product_id === this.id)
      this.deployments = mergeDeployments(this.deployments, mine, PRODUCT_DEPLOYMENTS)
      this.#checkEnvironments(mine.map((d) => d.environment_id))
      const known = new Set(this.versions.map((v) => v.id))
      if (mine.some((d) => !known.has(d.version_id))) void this.#reloadVersions()
    }
  }

  #checkEnvironments(ids: string[]): void {
    const known = new Set(this.environments.map((e) => e.id))
    if (ids.some((id) => !known.has(id))) void this.#reloadEnvironments()
  }

  readonly #reloadVersions = coalesce(async () => {
    try {
      const page = await this.#api.get<{ items: Version[] }>(
        `/versions?product=${encodeURIComponent(this.id)}&limit=500`
      )
      this.versions = page.items
    } catch (error) {
      this.failed(error)
    }
  })

  readonly #reloadEnvironments = coalesce(async () => {
    try {
      const page = await this.#api.get<{ items: Environment[] }>('/environments')
      this.environments = [...page.items].sort(compareEnvironments)
    } catch (error) {
      this.failed(error)
    }
  })
}
