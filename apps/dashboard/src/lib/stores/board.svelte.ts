/**
 * The environment board's state: environments (columns), products (rows) and their cells, from
 * the `board` room. Cells converge by rev (`live/merge.ts`); a cell naming an environment or a
 * product we have never seen makes us read just that (new ones appear on the board by themselves).
 */
import {
  Room,
  compareEnvironments,
  hasDrift,
  type Board,
  type BoardCell,
  type Environment,
  type LiveMessage,
  type Product,
} from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { coalesce } from '../live/coalesce.ts'
import { cellKey, mergeSnapshot, mergeUpdates } from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

export interface BoardRow {
  id: string
  name: string
  drift: boolean
  /** By environment id. */
  cells: ReadonlyMap<string, BoardCell>
}

export class BoardStore extends Loadable implements RoomHandler<Board> {
  readonly room = Room.board
  environments = $state.raw<Environment[]>([])
  /** Product names by id. */
  products = $state.raw<ReadonlyMap<string, string>>(new Map())
  cells = $state.raw<ReadonlyMap<string, BoardCell>>(new Map())

  /** Rows by product name, each with its cells by environment and its drift. */
  readonly rows: BoardRow[] = $derived.by(() => {
    const rows = new Map<string, BoardRow & { cells: Map<string, BoardCell> }>()
    for (const cell of this.cells.values()) {
      let row = rows.get(cell.product_id)
      if (!row) {
        row = {
          id: cell.product_id,
          name: this.products.get(cell.product_id) ?? '…',
          drift: false,
          cells: new Map(),
        }
        rows.set(cell.product_id, row)
      }
      row.cells.set(cell.environment_id, cell)
    }
    for (const row of rows.values()) row.drift = hasDrift([...row.cells.values()])
    return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name))
  })

  readonly #api: Api
  readonly #productsLoading = new Set<string>()

  constructor(api: Api) {
    super()
    this.#api = api
  }

  fetch(): Promise<Board> {
    return this.#api.get<Board>('/board')
  }

  reset(board: Board): void {
    this.environments = [...board.environments].sort(compareEnvironments)
    this.products = new Map(board.products.map((p) => [p.id, p.name]))
    this.cells = mergeSnapshot(
      this.cells,
      board.products.flatMap((p) => p.cells),
      cellKey
    )
    this.succeeded()
  }

  apply(message: LiveMessage): void {
    if (message.type !== 'cells') return
    this.cells = mergeUpdates(this.cells, message.cells, cellKey)
    const known = new Set(this.environments.map((e) => e.id))
    if (message.cells.some((c) => !known.has(c.environment_id))) void this.loadEnvironments()
    for (const c of message.cells) {
      if (!this.products.has(c.product_id)) void this.#loadProduct(c.product_id)
    }
  }

  /** A new environment showed up in a cell: read the columns again. */
  readonly loadEnvironments = coalesce(async () => {
    try {
      const page = await this.#api.get<{ items: Environment[] }>('/environments')
      this.environments = [...page.items].sort(compareEnvironments)
    } catch (error) {
      this.failed(error)
    }
  })

  async #loadProduct(id: string): Promise<void> {
    if (this.#productsLoading.has(id)) return
    this.#productsLoading.add(id)
    try {
      const product = await this.#api.get<Product>(`/products/${id}`)
      this.products = new Map(this.products).set(product.id, product.name)
    } catch (error) {
      this.failed(error)
    } finally {
      this.#productsLoading.delete(id)
    }
  }
}
