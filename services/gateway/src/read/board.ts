/**
 * The environment state matrix: per product and environment, the current deployment and the last
 * successful one, read from the cells the release service maintains.
 *
 * The whole board (every product, ~1,600 cells on a large install) is what dashboards, wall
 * screens and every live client that resyncs ask for, and building it reads two deployments and
 * two versions per cell: tens of milliseconds of Postgres time, the same answer for everyone. So
 * the unfiltered board is kept between requests, and each request first asks Postgres whether it
 * is still current (a sum over the cells' revisions, well under a millisecond): the answer is
 * never staler than a fresh read.
 */
import {
  compareEnvironments,
  hasDrift,
  type Board,
  type BoardCell,
  type Environment,
} from '@shiplog/contracts'

import type { Sql } from './db.ts'

const cellDeployment = (alias: string, version: string) => `json_build_object(
  'id', ${alias}.id, 'version_id', ${alias}.version_id, 'version', ${version}.version, 'status', ${alias}.status,
  'deployed_at', iso(${alias}.last_event_at), 'deployed_by', ${alias}.deployed_by,
  'deploy_url', ${alias}.deploy_url, 'last_event_id', ${alias}.last_event_id)`

type CellRow = BoardCell & { product_name: string }

/** Cells, optionally only some products or environments, or only the given (product, env) pairs. */
export async function readCells(
  sql: Sql,
  filter: {
    products?: string[]
    environments?: string[]
    pairs?: Array<{ product_id: string; environment_id: string }>
  } = {}
): Promise<CellRow[]> {
  const pairs = filter.pairs
  return sql<CellRow[]>`
    select s.product_id, s.environment_id, s.rev, p.name as product_name,
      ${sql.unsafe(cellDeployment('c', 'cv'))} as current,
      case when l.id is null then null else ${sql.unsafe(cellDeployment('l', 'lv'))} end as last_success
    from environment_state s
    join product p on p.id = s.product_id
    join deployment c on c.id = s.current_id
    join version cv on cv.id = c.version_id
    left join deployment l on l.id = s.last_success_id
    left join version lv on lv.id = l.version_id
    where true
      ${filter.products ? sql`and s.product_id = any(${filter.products}::uuid[])` : sql``}
      ${filter.environments ? sql`and s.environment_id = any(${filter.environments}::uuid[])` : sql``}
      ${
        pairs
          ? sql`and (s.product_id, s.environment_id) in (
              select * from unnest(${pairs.map((p) => p.product_id)}::uuid[], ${pairs.map((p) => p.environment_id)}::uuid[]))`
          : sql``
      }
    order by p.name, s.environment_id`
}

export async function readEnvironments(sql: Sql): Promise<Environment[]> {
  const rows = await sql<Environment[]>`
    select id, name, type, display_order, iso(created_at) as created_at from environment`
  return rows.sort(compareEnvironments)
}

/** The board's rows. The unfiltered board's are shared between requests: never modify them. */
export async function readBoard(
  sql: Sql,
  filter: { products?: string[]; environments?: string[] } = {}
): Promise<Board> {
  const filtered = !!filter.products || !!filter.environments
  const [environments, products] = await Promise.all([
    readEnvironments(sql),
    filtered ? readCells(sql, filter).then(byProduct) : wholeBoard(sql).then((b) => b.products),
  ])
  return {
    environments: filter.environments
      ? environments.filter((e) => filter.environments!.includes(e.id))
      : environments,
    products,
  }
}

function byProduct(cells: CellRow[]): Board['products'] {
  const products = new Map<string, Board['products'][number]>()
  for (const { product_name, ...cell } of cells) {
    const product = products.get(cell.product_id) ?? {
      id: cell.product_id,
      name: product_name,
      drift: false,
      cells: [],
    }
    product.cells.push(cell)
    products.set(cell.product_id, product)
  }
  for (const product of products.values()) product.drift = hasDrift(product.cells)
  return [...products.values()]
}

/**
 * The unfiltered board, kept per connection pool with the state of the cells it was read at: their
 * count and the sum and maximum of their revisions. The release service gives a cell a new
 * revision, higher than any before, in every transaction that changes what the cell shows
 * (record.ts; live clients rely on the same rule), and never deletes cells, so every commit that
 * changes the board changes that state. A request that finds the state unchanged gets the kept
 * board; one that finds it changed re-reads only the cells whose revision moved (a new cell, which
 * reorders the board, means reading it all) and rebuilds only their products, keeping the others'
 * objects (and their serialized JSON). Requests that find the same state share one refresh.
 * Every read starts after the state was taken, so what a request gets is at least as new as what
 * Postgres had committed when it asked.
 */
interface Snapshot {
  state: string
  /** Orders snapshots: the sum only grows. */
  sum: bigint
  rows: CellRow[]
  products: Board['products']
  /** The whole board serialized, with the environments it was serialized with. */
  json?: { environments: string; bytes: Uint8Array<ArrayBuffer> }
}

interface Kept {
  latest?: Snapshot
  refreshing: Map<string, Promise<Snapshot>>
}

const kept = new WeakMap<Sql, Kept>()
const cellKey = (c: { product_id: string; environment_id: string }) =>
  `${c.product_id}/${c.environment_id}`
// past this many changed cells, one full read is cheaper than picking them out
const MAX_PICKED = 200

async function wholeBoard(sql: Sql): Promise<Snapshot> {
  const [row] = await sql<Array<{ count: number; sum: string; max: string }>>`
    select count(*)::int as count, coalesce(sum(rev), 0)::text as sum, coalesce(max(rev), 0)::text as max
    from environment_state`
  const { count, sum, max } = row!
  const state = `${count}/${sum}/${max}`
  const board = kept.get(sql) ?? { refreshing: new Map<string, Promise<Snapshot>>() }
  kept.set(sql, board)
  if (board.latest?.state === state) return board.latest
  let refresh = board.refreshing.get(state)
  if (!refresh) {
    refresh = readSnapshot(sql, board.latest, count).then(({ rows, products }) => ({
      state,
      sum: BigInt(sum),
      rows,
      products,
    }))
    board.refreshing.set(state, refresh)
    void refresh.then(
      (snapshot) => {
        // refreshes may finish out of order: keep the newest
        if (!board.latest || snapshot.sum >= board.latest.sum) board.latest = snapshot
        board.refreshing.delete(state)
      },
      () => board.refreshing.delete(state)
    )
  }
  return refresh
}

const utf8 = new TextEncoder()
/** Each kept product's JSON, made once: a change re-serializes only the products it touched. */
const serialized = new WeakMap<Board['products'][number], string>()

function productJson(product: Board['products'][number]): string {
  let json = serialized.get(product)
  if (json === undefined) serialized.set(product, (json = JSON.stringify(product)))
  return json
}

/**
 * The whole board as the JSON that serializing readBoard(sql) gives, kept with its snapshot for as
 * long as neither the cells nor the environments change: an unchanged board then costs a request
 * the two checks and a write, instead of serializing and encoding a megabyte again.
 */
export async function readBoardJson(sql: Sql): Promise<Uint8Array<ArrayBuffer>> {
  const [environments, snapshot] = await Promise.all([readEnvironments(sql), wholeBoard(sql)])
  const columns = JSON.stringify(environments)
  if (snapshot.json?.environments !== columns) {
    // what JSON.stringify makes of the board, put together from its products' kept JSON
    const products = snapshot.products.map(productJson).join(',')
    const board = `{"environments":${columns},"products":[${products}]}`
    snapshot.json = { environments: columns, bytes: utf8.encode(board) }
  }
  return snapshot.json.bytes
}

async function readSnapshot(
  sql: Sql,
  base: Snapshot | undefined,
  count: number
): Promise<Pick<Snapshot, 'rows' | 'products'>> {
  const all = async () => {
    const rows = await readCells(sql)
    return { rows, products: freeze(byProduct(rows)) }
  }
  if (!base || base.rows.length !== count) return all()
  const revs = await sql<Array<{ product_id: string; environment_id: string; rev: number }>>`
    select product_id, environment_id, rev from environment_state`
  const before = new Map(base.rows.map((r) => [cellKey(r), r.rev]))
  const changed = revs.filter((c) => before.get(cellKey(c)) !== c.rev)
  if (changed.some((c) => !before.has(cellKey(c))) || changed.length > MAX_PICKED) return all()
  if (!changed.length) return base
  const picked = new Map(
    (await readCells(sql, { pairs: changed })).map((r) => [cellKey(r), r] as const)
  )
  const rows = base.rows.map((r) => picked.get(cellKey(r)) ?? r)
  const moved = new Set([...picked.values()].map((r) => r.product_id))
  const rebuilt = new Map(
    freeze(byProduct(rows.filter((r) => moved.has(r.product_id)))).map((p) => [p.id, p])
  )
  return {
    rows,
    products: Object.freeze(base.products.map((p) => rebuilt.get(p.id) ?? p)) as Board['products'],
  }
}

/** Shared rows are frozen, so a caller that modifies them fails loudly instead of corrupting others'. */
function freeze(products: Board['products']): Board['products'] {
  for (const product of products) {
    for (const cell of product.cells) {
      Object.freeze(cell.current)
      if (cell.last_success) Object.freeze(cell.last_success)
      Object.freeze(cell)
    }
    Object.freeze(product.cells)
    Object.freeze(product)
  }
  return Object.freeze(products) as Board['products']
}
