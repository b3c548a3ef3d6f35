/**
 * The environment state matrix: per product and environment, the current deployment and the last
 * successful one, read from the cells the release service maintains.
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

export async function readBoard(
  sql: Sql,
  filter: { products?: string[]; environments?: string[] } = {}
): Promise<Board> {
  const [environments, cells] = await Promise.all([readEnvironments(sql), readCells(sql, filter)])
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
  return {
    environments: filter.environments
      ? environments.filter((e) => filter.environments!.includes(e.id))
      : environments,
    products: [...products.values()],
  }
}
