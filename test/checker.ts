/**
 * The consistency checker: recomputes the board from the stored events alone (folding them with
 * the documented ordering rule) and compares it with what the release service maintains.
 * Also reports events stored more than once. Used by the pipeline tests and the fault suite.
 */
import {
  DeploymentEvent,
  deploymentId,
  environmentId,
  productId,
  versionId,
} from '@shiplog/contracts'
import { applyEvent, type DeploymentState } from '@shiplog/release/deployments'
import type { Sql } from '@shiplog/release/db'

export interface CellView {
  current: string
  status: string
  lastSuccess: string | null
}

export async function expectedBoard(sql: Sql): Promise<Map<string, CellView>> {
  const rows = await sql<{ stream_seq: number; payload: unknown }[]>`
    select stream_seq, payload from event where kind = 'deployment' and outcome = 'applied' order by stream_seq`
  const deployments = new Map<string, DeploymentState>()
  for (const row of rows) {
    const event = DeploymentEvent.parse(row.payload)
    const id = deploymentId(event.product_name, event.version, event.environment_name)
    deployments.set(
      id,
      applyEvent(
        deployments.get(id),
        { seq: row.stream_seq, event },
        {
          id,
          product_id: productId(event.product_name),
          version_id: versionId(event.product_name, event.version),
          environment_id: environmentId(event.environment_name),
        }
      )
    )
  }
  const terminal = (s: DeploymentState) =>
    s.status === 'pending' || s.status === 'started' ? 0 : 1
  const rank = (a: DeploymentState, b: DeploymentState) =>
    a.last_event_at !== b.last_event_at
      ? a.last_event_at < b.last_event_at
        ? -1
        : 1
      : terminal(a) !== terminal(b)
        ? terminal(a) - terminal(b)
        : a.last_event_seq - b.last_event_seq
  const cells = new Map<string, DeploymentState[]>()
  for (const d of deployments.values()) {
    const key = `${d.product_id}/${d.environment_id}`
    cells.set(key, [...(cells.get(key) ?? []), d])
  }
  const board = new Map<string, CellView>()
  for (const [key, ds] of cells) {
    const sorted = ds.sort(rank)
    const current = sorted.at(-1)!
    const lastSuccess = sorted.filter((d) => d.status === 'completed').at(-1)
    board.set(key, {
      current: current.id,
      status: current.status,
      lastSuccess: lastSuccess?.id ?? null,
    })
  }
  return board
}

export async function storedBoard(sql: Sql): Promise<Map<string, CellView>> {
  const rows = await sql<
    { key: string; current: string; status: string; last_success: string | null }[]
  >`
    select s.product_id || '/' || s.environment_id as key, s.current_id as current, d.status, s.last_success_id as last_success
    from environment_state s join deployment d on d.id = s.current_id`
  return new Map(
    rows.map((r) => [r.key, { current: r.current, status: r.status, lastSuccess: r.last_success }])
  )
}

export interface Consistency {
  events: number
  duplicateEvents: number
  mismatches: string[]
}

/** Compares the maintained board with the recomputed one; lists every cell that differs. */
export async function checkConsistency(sql: Sql): Promise<Consistency> {
  const [expected, stored] = await Promise.all([expectedBoard(sql), storedBoard(sql)])
  const mismatches: string[] = []
  for (const key of new Set([...expected.keys(), ...stored.keys()])) {
    const a = JSON.stringify(expected.get(key) ?? null)
    const b = JSON.stringify(stored.get(key) ?? null)
    if (a !== b) mismatches.push(`${key}: expected ${a}, stored ${b}`)
  }
  const [counts] = await sql<{ events: number; duplicates: number }[]>`
    select count(*)::int as events, (count(*) - count(distinct id))::int as duplicates from event`
  return { events: counts!.events, duplicateEvents: counts!.duplicates, mismatches }
}
