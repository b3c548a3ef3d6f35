/**
 * The environment board's state: environments (columns), products (rows) and their cells, from
 * the `board` room. Cells converge by rev (`live/merge.ts`); live cells carry their product's
 * name, so a new product's row is named at once; a cell naming an environment we have never seen
 * makes us read the environments (new columns appear on the board by themselves).
 */
import {
  Room,
  compareEnvironments,
  hasDrift,
  type Board,
  type BoardCell,
  type Environment,
  type LiveMessage,
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
    const cells = message.cells.map(({ product_name: _name, ...cell }) => cell)
    this.cells = mergeUpdates(this.cells, cells, cellKey)
    const unnamed = message.cells.filter((c) => this.products.get(c.product_id) !== c.product_name)
    if (unnamed.length) {
      const products = new Map(this.products)
      for (const c of unnamed) products.set(c.product_id, c.product_name)
      this.products = products
    }
    const known = new Set(this.environments.map((e) => e.id))
    if (message.cells.some((c) => !known.has(c.environment_id))) void this.loadEnvironments()
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
}
