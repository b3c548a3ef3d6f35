/**
 * The names a page offers as choices (product and environment filters, a release's targeted
 * environments): read when the page opens, environments in board order. Not live: a product
 * first seen after the page opened is one reload away from the dropdown, never from the data.
 */
import { compareEnvironments, type Environment, type Product } from '@shiplog/contracts'

import type { Api } from '../api.ts'

import { Loadable } from './loadable.svelte.ts'

export class CatalogStore extends Loadable {
  products = $state.raw<Product[]>([])
  environments = $state.raw<Environment[]>([])
  readonly #api: Api

  constructor(api: Api) {
    super()
    this.#api = api
  }

  async load(): Promise<void> {
    try {
      const [products, environments] = await Promise.all([
        this.#api.get<{ items: Product[] }>('/products?limit=500'),
        this.#api.get<{ items: Environment[] }>('/environments'),
      ])
      this.products = [...products.items].sort((a, b) => a.name.localeCompare(b.name))
      this.environments = [...environments.items].sort(compareEnvironments)
      this.succeeded()
    } catch (error) {
      this.failed(error)
    }
  }
}
