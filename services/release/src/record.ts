/**
 * Records a batch of reported events in one transaction: catalog rows on first sight, the
 * immutable event rows, the deployments they move, and the board cells recomputed from those.
 * Idempotent: an event already stored (a redelivery, a re-post) changes nothing.
 */
import {
  deploymentId,
  environmentId,
  eventTime,
  productId,
  versionId,
  type BuildEvent,
  type DeploymentEvent,
  type ShiplogEvent,
} from '@shiplog/contracts'

import { KnownCatalog, recordCatalog, type Learned, type Named } from './catalog.ts'
import type { Db, Sql } from './db.ts'
import { applyEvent, type DeploymentState } from './deployments.ts'

export interface IncomingEvent {
  seq: number
  event: ShiplogEvent
}

export interface Cell {
  product_id: string
  environment_id: string
}

export interface RecordResult {
  /** Events stored for the first time. */
  stored: string[]
  /** Events already stored before (redeliveries, re-posts). */
  duplicates: string[]
  /** Events that named a version with a different SHA than it was built from: kept, not applied. */
  conflicts: string[]
  /** Board cells whose deployments changed, with their new revision. */
  cells: Array<Cell & { rev: number }>
  /** Cells that did not exist before: a product deployed to an environment for the first time. */
  newCells: Cell[]
  /** Deployments that changed. */
  deployments: string[]
  /** Versions whose deployments or build changed (their releases' progress must follow). */
  versions: string[]
  /** Versions with a deployment that got past pending: their draft releases are under way. */
  startedVersions: string[]
  /** Successful deployments just recorded: candidates for automatic releases. */
  completed: CompletedDeployment[]
  /** Releases recomputed in the same transaction (by the `after` hook), with their new revision. */
  releases: Array<{ id: string; rev: number }>
}

/** Work that must commit with the events (release progress); returns the releases it changed. */
export type AfterRecord = (
  tx: Db,
  result: RecordResult
) => Promise<Array<{ id: string; rev: number }>>

type RecomputedCell = Cell & { rev: number }

export interface CompletedDeployment {
  product_id: string
  product_name: string
  version_id: string
  version: string
  environment_id: string
  environment_name: string
  /** The event's own time. */
  at: string
  received_at: string
  backfill: boolean
}

interface Resolved extends IncomingEvent {
  product_id: string
  version_id: string
  environment_id: string | null
  time: string
}

export async function recordEvents(
  sql: Sql,
  batch: readonly IncomingEvent[],
  after?: AfterRecord,
  known: KnownCatalog = new KnownCatalog()
): Promise<RecordResult> {
  const events = dedupe(batch).map(resolve)
  let learned: Learned | undefined
  const result = await sql.begin(async (tx) => {
    const catalog = await recordCatalog(tx, events.map(named), known)
    const { shas } = catalog
    learned = catalog.learned
    const conflicts = new Set(
      events
        .filter(
          (e) =>
            e.event.scm_sha && shas.get(e.version_id) && shas.get(e.version_id) !== e.event.scm_sha
        )
        .map((e) => e.event.id)
    )
    // Round trip one: store the events and, behind them, lock and read the deployments they may
    // move (those that turn out to be already stored are simply not applied).
    const candidates = events.filter(
      (e): e is Resolved & { event: DeploymentEvent } =>
        e.event.kind === 'deployment' && !conflicts.has(e.event.id)
    )
    const [fresh, current] = await Promise.all([
      insertEvents(tx, events, conflicts),
      lockAndRead(tx, candidates),
    ])
    const applied = events.filter((e) => fresh.has(e.event.id) && !conflicts.has(e.event.id))
    const deployments = applied.filter(
      (e): e is Resolved & { event: DeploymentEvent } => e.event.kind === 'deployment'
    )
    const builds = applied.filter(
      (e): e is Resolved & { event: BuildEvent } => e.event.kind === 'build'
    )
    const touched = cellsOf(deployments)

    // Round trip two: write the deployments, recompute their cells, record builds, and whatever
    // the `after` hook does (it reads what these wrote: same connection, sent after them).
    const writes = Promise.all([
      writeDeployments(tx, deployments, current, touched),
      applyBuilds(tx, builds),
    ])
    const recorded: RecordResult = {
      stored: events.filter((e) => fresh.has(e.event.id)).map((e) => e.event.id),
      duplicates: events.filter((e) => !fresh.has(e.event.id)).map((e) => e.event.id),
      conflicts: events
        .filter((e) => fresh.has(e.event.id) && conflicts.has(e.event.id))
        .map((e) => e.event.id),
      cells: [],
      // cells this process has not seen stored may be new: their products' releases follow
      newCells: touched.filter((c) => !known.cells.has(cellKey(c))),
      deployments: unique(deployments.map((e) => deploymentIdOf(e))),
      versions: unique(applied.map((e) => e.version_id)),
      startedVersions: unique(
        deployments.filter((e) => e.event.status !== 'pending').map((e) => e.version_id)
      ),
      completed: deployments
        .filter((e) => e.event.status === 'completed')
        .map((e) => ({
          product_id: e.product_id,
          product_name: e.event.product_name,
          version_id: e.version_id,
          version: e.event.version,
          environment_id: e.environment_id!,
          environment_name: e.event.environment_name,
          at: e.time,
          received_at: e.event.received_at,
          backfill: e.event.backfill ?? false,
        })),
      releases: [],
    }
    const releases = after ? after(tx, recorded) : Promise.resolve([])
    const [[cells]] = await Promise.all([writes, releases])
    recorded.cells = cells
    recorded.releases = await releases
    learned.cells = touched.map(cellKey)
    return recorded
  })
  // only now is what the transaction wrote certainly stored
  if (learned) known.learn(learned)
  return result
}

function named(e: Resolved): Named {
  return {
    product_id: e.product_id,
    product_name: e.event.product_name,
    environment_id: e.environment_id,
    environment_name: e.event.kind === 'deployment' ? e.event.environment_name : null,
    version_id: e.version_id,
    version: e.event.version,
    scm_sha: e.event.scm_sha ?? null,
    time: e.time,
  }
}

/** The same event twice in one batch (a re-post beyond JetStream's dedupe window): keep the first. */
function dedupe(batch: readonly IncomingEvent[]): IncomingEvent[] {
  const seen = new Set<string>()
  return [...batch]
    .sort((a, b) => a.seq - b.seq)
    .filter(({ event }) => !seen.has(event.id) && seen.add(event.id))
}

function resolve(incoming: IncomingEvent): Resolved {
  const { event } = incoming
  return {
    ...incoming,
    product_id: productId(event.product_name),
    version_id: versionId(event.product_name, event.version),
    environment_id: event.kind === 'deployment' ? environmentId(event.environment_name) : null,
    time: eventTime(event),
  }
}

type Json = Parameters<Db['json']>[0]
const unique = <T>(xs: T[]) => [...new Set(xs)]
const deploymentIdOf = (e: Resolved & { event: DeploymentEvent }) =>
  deploymentId(e.event.product_name, e.event.version, e.event.environment_name)

/** One fixed statement whatever the batch size, so Postgres plans it once per connection. */
async function insertEvents(
  tx: Db,
  events: Resolved[],
  conflicts: Set<string>
): Promise<Set<string>> {
  const col = <T>(f: (e: Resolved) => T) => events.map(f)
  const inserted = await tx<{ id: string }[]>`
    insert into event (id, stream_seq, kind, product_id, version_id, environment_id, status,
                       occurred_at, received_at, outcome, reporter, payload)
    -- JSON goes as text: postgres.js would encode a string in a jsonb[] parameter once more
    select id, seq, kind, product_id, version_id, environment_id, status, occurred_at, received_at,
           outcome, reporter, payload::jsonb
    from unnest(
      ${col((e) => e.event.id)}::text[], ${col((e) => e.seq)}::int8[], ${col((e) => e.event.kind)}::text[],
      ${col((e) => e.product_id)}::uuid[], ${col((e) => e.version_id)}::uuid[],
      ${col((e) => e.environment_id)}::uuid[], ${col((e) => e.event.status)}::text[],
      ${col((e) => e.time)}::timestamptz[], ${col((e) => e.event.received_at)}::timestamptz[],
      ${col((e) => (conflicts.has(e.event.id) ? 'sha_conflict' : 'applied'))}::text[],
      ${col((e) => e.event.reporter)}::text[], ${col((e) => JSON.stringify(e.event))}::text[])
      as r(id, seq, kind, product_id, version_id, environment_id, status, occurred_at, received_at,
           outcome, reporter, payload)
    on conflict (id) do nothing
    returning id`
  return new Set(inserted.map((r) => r.id))
}

const cellKey = (c: Cell) => `${c.product_id}/${c.environment_id}`

function cellsOf(events: ReadonlyArray<Resolved & { event: DeploymentEvent }>): Cell[] {
  const cells = new Map<string, Cell>()
  for (const e of events) {
    const cell = { product_id: e.product_id, environment_id: e.environment_id! }
    cells.set(cellKey(cell), cell)
  }
  return [...cells.values()]
}

/**
 * Writers of one (product, environment) cell are serialized by a transaction-scoped advisory
 * lock, taken in a fixed order: the fold reads deployment rows no one else is changing, and the
 * cell is recomputed from rows that include every earlier commit. The read is sent right behind
 * the locks, and runs once they are held.
 */
async function lockAndRead(
  tx: Db,
  events: Array<Resolved & { event: DeploymentEvent }>
): Promise<Map<string, DeploymentState>> {
  if (!events.length) return new Map()
  const cells = cellsOf(events)
  const ids = unique(events.map(deploymentIdOf))
  const [, current] = await Promise.all([
    tx`
      select pg_advisory_xact_lock(k) from (
        select distinct hashtextextended(p || e, 7) as k
        from unnest(${cells.map((c) => c.product_id)}::text[], ${cells.map((c) => c.environment_id)}::text[]) as t(p, e)
        order by k
      ) as locks`,
    tx<DeploymentState[]>`
      select id, product_id, version_id, environment_id, status, started_at, completed_at,
             last_event_at, last_event_seq, last_event_id, deployed_by, deployed_by_email,
             deployed_by_name, source_system, deploy_url, build_url, build_number, invoke_id, extra_metadata
      from deployment where id = any(${ids}::uuid[])`,
  ])
  return new Map(current.map((row) => [row.id, fromRow(row)]))
}

/** Folds deployment events into their deployment rows, writes them, and recomputes their cells. */
async function writeDeployments(
  tx: Db,
  events: Array<Resolved & { event: DeploymentEvent }>,
  states: Map<string, DeploymentState>,
  cells: Cell[]
): Promise<RecordResult['cells']> {
  if (!events.length) return []
  for (const e of events) {
    const id = deploymentIdOf(e)
    states.set(
      id,
      applyEvent(states.get(id), e, {
        id,
        product_id: e.product_id,
        version_id: e.version_id,
        environment_id: e.environment_id!,
      })
    )
  }
  const rows = unique(events.map(deploymentIdOf))
    .sort()
    .map((id) => states.get(id)!)
  const col = <T>(f: (d: DeploymentState) => T) => rows.map(f)
  const upsert = tx`
      insert into deployment (id, product_id, version_id, environment_id, status, started_at, completed_at,
        last_event_at, last_event_seq, last_event_id, deployed_by, deployed_by_email, deployed_by_name,
        source_system, deploy_url, build_url, build_number, invoke_id, extra_metadata)
      select id, product_id, version_id, environment_id, status, started_at, completed_at, last_event_at,
             last_event_seq, last_event_id, deployed_by, deployed_by_email, deployed_by_name, source_system,
             deploy_url, build_url, build_number, invoke_id, extra_metadata::jsonb
      from unnest(
        ${col((d) => d.id)}::uuid[], ${col((d) => d.product_id)}::uuid[], ${col((d) => d.version_id)}::uuid[],
        ${col((d) => d.environment_id)}::uuid[], ${col((d) => d.status)}::text[],
        ${col((d) => d.started_at)}::timestamptz[], ${col((d) => d.completed_at)}::timestamptz[],
        ${col((d) => d.last_event_at)}::timestamptz[], ${col((d) => d.last_event_seq)}::int8[],
        ${col((d) => d.last_event_id)}::text[], ${col((d) => d.deployed_by)}::text[],
        ${col((d) => d.deployed_by_email)}::text[], ${col((d) => d.deployed_by_name)}::text[],
        ${col((d) => d.source_system)}::text[], ${col((d) => d.deploy_url)}::text[],
        ${col((d) => d.build_url)}::text[], ${col((d) => d.build_number)}::text[],
        ${col((d) => d.invoke_id)}::text[],
        ${col((d) => (d.extra_metadata ? JSON.stringify(d.extra_metadata) : null))}::text[])
        as r(id, product_id, version_id, environment_id, status, started_at, completed_at, last_event_at,
             last_event_seq, last_event_id, deployed_by, deployed_by_email, deployed_by_name, source_system,
             deploy_url, build_url, build_number, invoke_id, extra_metadata)
      on conflict (id) do update set
        status = excluded.status, started_at = excluded.started_at, completed_at = excluded.completed_at,
        last_event_at = excluded.last_event_at, last_event_seq = excluded.last_event_seq,
        last_event_id = excluded.last_event_id, deployed_by = excluded.deployed_by,
        deployed_by_email = excluded.deployed_by_email, deployed_by_name = excluded.deployed_by_name,
        source_system = excluded.source_system, deploy_url = excluded.deploy_url,
        build_url = excluded.build_url, build_number = excluded.build_number,
        invoke_id = excluded.invoke_id, extra_metadata = excluded.extra_metadata, updated_at = now()`.execute()
  // sent right behind the upsert (one round trip), and run after it
  const [, recomputed] = await Promise.all([upsert, recomputeCells(tx, cells)])
  return recomputed
}

/**
 * A cell shows the deployment whose newest event ranks highest (the ordering rule in
 * deployments.ts), and the newest successful one. Recomputed from the deployment rows, so a
 * duplicate or replayed event cannot drift it.
 */
export async function recomputeCells(tx: Db, cells: Cell[]): Promise<RecomputedCell[]> {
  if (!cells.length) return []
  return tx<RecomputedCell[]>`
    insert into environment_state (product_id, environment_id, current_id, last_success_id, rev)
    select c.product_id, c.environment_id,
      (select d.id from deployment d
        where d.product_id = c.product_id and d.environment_id = c.environment_id
        order by d.last_event_at desc, d.status not in ('pending', 'started') desc, d.last_event_seq desc
        limit 1),
      (select d.id from deployment d
        where d.product_id = c.product_id and d.environment_id = c.environment_id and d.status = 'completed'
        order by d.last_event_at desc, d.last_event_seq desc
        limit 1),
      nextval('rev_seq')
    from unnest(${cells.map((c) => c.product_id)}::uuid[], ${cells.map((c) => c.environment_id)}::uuid[])
      as c(product_id, environment_id)
    on conflict (product_id, environment_id) do update set
      current_id = excluded.current_id, last_success_id = excluded.last_success_id,
      rev = excluded.rev, updated_at = now()
    returning product_id, environment_id, rev`
}

/** A version's build status follows its newest build event (by own time); older ones only fill gaps. */
async function applyBuilds(tx: Db, events: Array<Resolved & { event: BuildEvent }>) {
  if (!events.length) return
  const newest = new Map<string, Resolved & { event: BuildEvent }>()
  for (const e of events) {
    const prev = newest.get(e.version_id)
    if (!prev || e.time > prev.time || (e.time === prev.time && e.seq > prev.seq)) {
      newest.set(e.version_id, e)
    }
  }
  const rows = [...newest.values()]
    .sort((a, b) => (a.version_id < b.version_id ? -1 : 1))
    .map(({ version_id, time, event: b }) => ({
      id: version_id,
      at: time,
      status: b.status,
      started_at: b.started_at ?? null,
      completed_at: b.completed_at ?? null,
      scm_repository: b.scm_repository ?? null,
      scm_branch: b.scm_branch ?? null,
      scm_committed_at: b.scm_committed_at ?? null,
      build_number: b.build_number ?? null,
      build_url: b.build_url ?? null,
      source_system: b.source_system ?? null,
      built_by: b.built_by ?? null,
      built_by_email: b.built_by_email ?? null,
      built_by_name: b.built_by_name ?? null,
      extra_metadata: b.extra_metadata ?? null,
    }))
  const newer = tx`(v.build_event_at is null or b.at >= v.build_event_at)`
  await tx`
    update version v set
      build_status = case when ${newer} then b.status else v.build_status end,
      build_event_at = case when ${newer} then b.at else v.build_event_at end,
      build_started_at = coalesce(v.build_started_at, b.started_at),
      build_completed_at = case when ${newer} then coalesce(b.completed_at, v.build_completed_at)
                                else v.build_completed_at end,
      scm_repository = coalesce(v.scm_repository, b.scm_repository),
      scm_branch = coalesce(v.scm_branch, b.scm_branch),
      scm_committed_at = coalesce(v.scm_committed_at, b.scm_committed_at),
      build_number = coalesce(v.build_number, b.build_number),
      build_url = coalesce(v.build_url, b.build_url),
      source_system = coalesce(v.source_system, b.source_system),
      built_by = coalesce(v.built_by, b.built_by),
      built_by_email = coalesce(v.built_by_email, b.built_by_email),
      built_by_name = coalesce(v.built_by_name, b.built_by_name),
      extra_metadata = coalesce(v.extra_metadata, b.extra_metadata)
    from (
      select * from json_to_recordset(${tx.json(rows as unknown as Json)}::json) as r(
        id uuid, at timestamptz, status text, started_at timestamptz, completed_at timestamptz,
        scm_repository text, scm_branch text, scm_committed_at timestamptz, build_number text,
        build_url text, source_system text, built_by text, built_by_email text, built_by_name text,
        extra_metadata jsonb)
    ) b
    where v.id = b.id`
}

const iso = (v: unknown): string | null =>
  v instanceof Date ? v.toISOString() : (v as string | null)

function fromRow(row: DeploymentState): DeploymentState {
  return {
    ...row,
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    last_event_at: iso(row.last_event_at)!,
  }
}
