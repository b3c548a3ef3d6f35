/**
 * Products, environments and versions, created on first sight by the events that name them, with
 * when Shiplog first saw each (the earliest own time of any event naming it) and each version's
 * SHA, claimed by the first event that names one and never changed (a version is immutable).
 *
 * The same few names come back with nearly every event, so what is known to be stored is
 * remembered per process and not written again. The memory only ever lags Postgres (rows are
 * never deleted, first-seen times only move back, a claimed SHA never changes), so skipping what
 * it knows is always safe; it learns what a transaction wrote only after that transaction commits.
 */
import { inferEnvironmentType } from '@shiplog/contracts'

import type { Db } from './db.ts'

export interface Named {
  product_id: string
  product_name: string
  environment_id: string | null
  environment_name: string | null
  version_id: string
  version: string
  scm_sha: string | null
  /** The event's own time. */
  time: string
}

interface KnownVersion {
  firstSeen: string
  sha: string | null
}

const LIMIT = 50_000

export class KnownCatalog {
  readonly products = new Map<string, string>()
  readonly environments = new Map<string, string>()
  readonly versions = new Map<string, KnownVersion>()
  /** Board cells (product/environment) known to exist. */
  readonly cells = new Set<string>()

  /** After a failure nobody understands, trust Postgres alone again. */
  forget(): void {
    this.products.clear()
    this.environments.clear()
    this.versions.clear()
    this.cells.clear()
  }

  learn(learned: Learned): void {
    for (const [map, entries] of [
      [this.products, learned.products],
      [this.environments, learned.environments],
    ] as const) {
      if (map.size > LIMIT) map.clear()
      for (const [id, at] of entries) map.set(id, at)
    }
    if (this.versions.size > LIMIT) this.versions.clear()
    for (const [id, v] of learned.versions) this.versions.set(id, v)
    if (this.cells.size > LIMIT) this.cells.clear()
    for (const cell of learned.cells ?? []) this.cells.add(cell)
  }
}

/** What a transaction wrote, for the KnownCatalog to learn once it has committed. */
export interface Learned {
  products: Map<string, string>
  environments: Map<string, string>
  versions: Map<string, KnownVersion>
  cells?: string[]
}

const byKey = <T>(m: Map<string, T>) =>
  [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/**
 * Makes sure every product, environment and version the events name exists, moves first-seen
 * times back where an event is older, claims SHAs, and answers each version's SHA. Rows go in id
 * order, so two instances writing the same names cannot deadlock.
 */
export async function recordCatalog(
  tx: Db,
  named: readonly Named[],
  known: KnownCatalog
): Promise<{ shas: Map<string, string | null>; learned: Learned }> {
  const products = new Map<string, { name: string; at: string }>()
  const environments = new Map<string, { name: string; at: string }>()
  const versions = new Map<
    string,
    { product_id: string; version: string; sha: string | null; at: string }
  >()
  for (const n of named) {
    const p = products.get(n.product_id)
    if (!p || n.time < p.at) products.set(n.product_id, { name: n.product_name, at: n.time })
    if (n.environment_id && n.environment_name) {
      const e = environments.get(n.environment_id)
      if (!e || n.time < e.at) {
        environments.set(n.environment_id, { name: n.environment_name, at: n.time })
      }
    }
    const v = versions.get(n.version_id)
    if (!v) {
      versions.set(n.version_id, {
        product_id: n.product_id,
        version: n.version,
        sha: n.scm_sha,
        at: n.time,
      })
    } else {
      v.sha ??= n.scm_sha
      if (n.time < v.at) v.at = n.time
    }
  }

  // Only what the memory cannot vouch for goes to Postgres.
  const newer = (seen: string | undefined, at: string) => seen === undefined || at < seen
  const productRows = byKey(products).filter(([id, p]) => newer(known.products.get(id), p.at))
  const environmentRows = byKey(environments).filter(([id, e]) =>
    newer(known.environments.get(id), e.at)
  )
  const versionRows = byKey(versions).filter(([id, v]) => {
    const k = known.versions.get(id)
    return !k || v.at < k.firstSeen || (k.sha === null && v.sha !== null)
  })

  // Sent together and run in this order on the transaction's connection: one round trip.
  // `.execute()` starts each at once; postgres.js runs a query when it is first awaited.
  const writes: Array<Promise<unknown>> = []
  if (productRows.length) {
    writes.push(
      tx`
      with rows as (
        select * from unnest(${productRows.map(([id]) => id)}::uuid[], ${productRows.map(([, p]) => p.name)}::text[],
                             ${productRows.map(([, p]) => p.at)}::timestamptz[]) as r(id, name, at)
      ), added as (
        insert into product (id, name, first_seen_at) select id, name, at from rows on conflict do nothing
      )
      update product t set first_seen_at = r.at from rows r where t.id = r.id and t.first_seen_at > r.at`.execute()
    )
  }
  if (environmentRows.length) {
    writes.push(
      tx`
      with rows as (
        select * from unnest(${environmentRows.map(([id]) => id)}::uuid[], ${environmentRows.map(([, e]) => e.name)}::text[],
                             ${environmentRows.map(([, e]) => inferEnvironmentType(e.name))}::text[],
                             ${environmentRows.map(([, e]) => e.at)}::timestamptz[]) as r(id, name, type, at)
      ), added as (
        insert into environment (id, name, type, first_seen_at) select id, name, type, at from rows on conflict do nothing
      )
      update environment t set first_seen_at = r.at from rows r where t.id = r.id and t.first_seen_at > r.at`.execute()
    )
  }
  let stored: Array<{ id: string; scm_sha: string | null; first_seen_at: Date }> = []
  if (versionRows.length) {
    // runs after the product inserts above, so its foreign key finds them
    const claim = tx<typeof stored>`
      with rows as (
        select * from unnest(${versionRows.map(([id]) => id)}::uuid[], ${versionRows.map(([, v]) => v.product_id)}::uuid[],
                             ${versionRows.map(([, v]) => v.version)}::text[], ${versionRows.map(([, v]) => v.sha)}::text[],
                             ${versionRows.map(([, v]) => v.at)}::timestamptz[]) as r(id, product_id, version, sha, at)
      ), claimed as (
        insert into version (id, product_id, version, scm_sha, first_seen_at)
        select id, product_id, version, sha, at from rows
        on conflict (id) do update set scm_sha = excluded.scm_sha
          where version.scm_sha is null and excluded.scm_sha is not null
        returning id, scm_sha
      ), moved as (
        update version t set first_seen_at = r.at from rows r where t.id = r.id and t.first_seen_at > r.at
      )
      -- the outer select sees the table as it was before this statement: take claims from the CTE
      select r.id, coalesce(c.scm_sha, v.scm_sha) as scm_sha, least(v.first_seen_at, r.at) as first_seen_at
      from rows r left join claimed c on c.id = r.id left join version v on v.id = r.id`.execute()
    writes.push(claim.then((rows) => (stored = rows)))
  }
  await Promise.all(writes)

  const learned: Learned = {
    products: new Map(
      byKey(products).map(([id, p]) => [id, minTime(known.products.get(id), p.at)])
    ),
    environments: new Map(
      byKey(environments).map(([id, e]) => [id, minTime(known.environments.get(id), e.at)])
    ),
    versions: new Map(),
  }
  const shas = new Map<string, string | null>()
  for (const [id, v] of versions) {
    const k = known.versions.get(id)
    if (k) {
      shas.set(id, k.sha)
      learned.versions.set(id, { firstSeen: minTime(k.firstSeen, v.at), sha: k.sha })
    }
  }
  for (const row of stored) {
    shas.set(row.id, row.scm_sha)
    learned.versions.set(row.id, { firstSeen: row.first_seen_at.toISOString(), sha: row.scm_sha })
  }
  return { shas, learned }
}

const minTime = (a: string | undefined, b: string) => (a !== undefined && a < b ? a : b)
