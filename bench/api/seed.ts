/**
 * The API benchmark's database: created fresh, migrated with the release service's own
 * migrations, filled by COPY from ./dataset.ts, ./events.ts and ./releases.ts (every table in the
 * order the release service would have written it, since physical order decides how many pages a
 * read touches), its board cells and release progress computed by the release service's own code
 * (recomputeCells, recomputeReleases), then vacuumed and analyzed.
 *
 * Seeding takes minutes, so the database is kept between runs and recognized by a comment holding
 * its signature: the generator's version, the shape, and the migrations it was seeded under. A
 * run re-seeds when asked (--reseed) or when the signature differs, so a new migration (an index,
 * or columns the release service now computes) never meets data the system would not produce;
 * and when the data is more than a few days old, since "the last 30 days" would read less of it.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { deploymentId, environmentId, productId, versionId } from '@shiplog/contracts'
import type { Logger } from '@shiplog/kit'
import { connectPostgres, type Sql } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import { recomputeCells } from '@shiplog/release/record'
import postgres from 'postgres'

import { recomputeReleases } from '../../services/release/src/releases.ts'

import {
  ENVIRONMENTS,
  generateDeployments,
  isTerminalCode,
  prng,
  source,
  statusName,
  uuidv7At,
  type Catalog,
  type Deployments,
  type Shape,
} from './dataset.ts'
import {
  PROCESSING_MS,
  changeTicket,
  deployUrl,
  eventId,
  eventRows,
  generateEvents,
  who,
  type Events,
  type Ids,
} from './events.ts'
import { generateAutomaticReleases, generateReleases, type SeedRelease } from './releases.ts'

/** Bump when the generator changes: a cached database with another signature is re-seeded. */
const GENERATOR = 'api-seed/2'
/**
 * The history ends when it was seeded, and the endpoints read "the last 30 days" by default: data
 * older than this is seeded again, so those reads do not get lighter as the cache ages.
 */
const MAX_AGE_DAYS = 3

export interface SeedOptions {
  /** A URL of the server's maintenance database, used to create and drop the bench database. */
  adminUrl: string
  database: string
  shape: Shape
  reseed: boolean
  log: Logger
  say: (line: string) => void
}

export interface Seeded {
  url: string
  cached: boolean
  seconds: number
  signature: string
  /** The dataset's "now": its history ends shortly before. */
  seededAt: Date
}

export async function ensureSeeded(options: SeedOptions): Promise<Seeded> {
  const { adminUrl, database, shape, say } = options
  const signature = JSON.stringify({ generator: GENERATOR, ...shape, migrations: migrationsHash() })
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  const started = performance.now()
  try {
    const [row] = await admin<Array<{ comment: string | null }>>`
      select shobj_description(oid, 'pg_database') as comment from pg_database where datname = ${database}`
    const stored = parseComment(row?.comment)
    const ageDays = stored ? (Date.now() - stored.seededAt.getTime()) / 86_400_000 : 0
    const stale = ageDays > MAX_AGE_DAYS
    const cached = !!stored && stored.signature === signature && !stale && !options.reseed
    if (!cached) {
      say(
        row
          ? `re-seeding ${database} (${
              options.reseed
                ? '--reseed'
                : stored?.signature === signature && stale
                  ? `its data is ${ageDays.toFixed(1)} days old`
                  : 'dataset or migrations changed'
            })`
          : `seeding ${database} (first run; later runs reuse it, --reseed to redo)`
      )
      await admin.unsafe(`drop database if exists "${database}" with (force)`)
      await admin.unsafe(`create database "${database}"`)
    }
    const sql = connectPostgres(url.toString(), options.log, { max: 4, name: 'shiplog-bench-seed' })
    try {
      if (cached) {
        return {
          url: url.toString(),
          cached: true,
          seconds: 0,
          signature,
          seededAt: stored.seededAt,
        }
      }
      const now = new Date()
      await migrate(sql, options.log)
      await fill(sql, shape, now.getTime(), say)
      const comment = JSON.stringify({ ...JSON.parse(signature), seeded_at: now.toISOString() })
      await admin.unsafe(`comment on database "${database}" is '${comment.replaceAll("'", "''")}'`)
      const seconds = (performance.now() - started) / 1000
      say(`seeded in ${seconds.toFixed(0)} s`)
      return { url: url.toString(), cached: false, seconds, signature, seededAt: now }
    } finally {
      await sql.end({ timeout: 5 })
    }
  } finally {
    await admin.end({ timeout: 5 })
  }
}

/** The signature and seeding time kept in the database's comment (undefined: none, or not ours). */
function parseComment(comment: string | null | undefined) {
  try {
    const { seeded_at, ...signature } = JSON.parse(comment ?? '') as Record<string, unknown>
    if (typeof seeded_at !== 'string') return undefined
    return { signature: JSON.stringify(signature), seededAt: new Date(seeded_at) }
  } catch {
    return undefined
  }
}

/** The migrations' names and contents, hashed: any change to the schema means a re-seed. */
function migrationsHash(): string {
  const dir = new URL('../../services/release/src/migrations/', import.meta.url)
  const hash = createHash('sha256')
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file).update(readFileSync(new URL(file, dir)))
  }
  return hash.digest('hex').slice(0, 16)
}

async function fill(sql: Sql, shape: Shape, now: number, say: (line: string) => void) {
  const step = stepper(say)
  const { catalog, deployments } = generateDeployments(shape, now)
  const events = generateEvents(catalog, deployments)
  const releases = [
    ...generateReleases(shape, catalog),
    ...generateAutomaticReleases(catalog, deployments, events),
  ].sort((a, b) => a.at - b.at)
  step(
    `generated ${deployments.count.toLocaleString('en')} deployments, ` +
      `${events.count.toLocaleString('en')} events and ${releases.length.toLocaleString('en')} releases`
  )
  const ids: Ids = {
    products: catalog.products.map((p) => productId(p.name)),
    environments: ENVIRONMENTS.map((e) => environmentId(e)),
    versions: catalog.versions.map((own, p) =>
      own.map((v) => versionId(catalog.products[p]!.name, v.version))
    ),
  }

  // first seen: the earliest own time of any event naming it; created when its first event was
  // recorded. A product's first event is its first version's build.
  await copy(
    sql,
    'product (id, name, created_at, first_seen_at)',
    catalog.products.map((p, i) => {
      const first = events.versionBase[i]!
      return [
        ids.products[i]!,
        p.name,
        iso(events.received[first]! + PROCESSING_MS),
        iso(events.at[first]!),
      ]
    })
  )
  await copy(
    sql,
    'environment (id, name, type, created_at, first_seen_at)',
    catalog.environments.map((e, i) => [
      ids.environments[i]!,
      e.name,
      e.type,
      iso(events.environmentFirstReceived[i]! + PROCESSING_MS),
      iso(events.environmentFirstSeen[i]!),
    ])
  )
  await copy(
    sql,
    `version (id, product_id, version, scm_sha, scm_repository, scm_branch, scm_committed_at,
      build_number, build_url, source_system, built_by, build_status, build_started_at,
      build_completed_at, build_event_at, created_at, first_seen_at)`,
    versionRows(catalog, events, ids)
  )
  step('catalog copied')

  await copyIndexedLater(sql, 'event', () =>
    copy(
      sql,
      `event (id, stream_seq, kind, product_id, version_id, environment_id, status, occurred_at,
        received_at, stored_at, outcome, reporter, payload)`,
      eventRows(catalog, deployments, events, ids)
    )
  )
  step(`${events.count.toLocaleString('en')} events copied and indexed`)

  await copy(
    sql,
    `deployment (id, product_id, version_id, environment_id, status, started_at, completed_at,
      last_event_at, last_event_seq, last_event_id, deployed_by, deployed_by_email, deployed_by_name,
      source_system, deploy_url, build_url, build_number, invoke_id, extra_metadata, created_at,
      updated_at)`,
    deploymentRows(catalog, deployments, events, ids)
  )
  step('deployments copied')

  // the board: every (product, environment) that has deployments, by the release service's rule
  const cells = new Map<number, { product_id: string; environment_id: string }>()
  for (let i = 0; i < deployments.count; i++) {
    const key = deployments.product[i]! * 256 + deployments.environment[i]!
    if (cells.has(key)) continue
    cells.set(key, {
      product_id: ids.products[deployments.product[i]!]!,
      environment_id: ids.environments[deployments.environment[i]!]!,
    })
  }
  await sql.begin((tx) => recomputeCells(tx, [...cells.values()]))
  step(`${cells.size.toLocaleString('en')} board cells computed`)

  const releaseIds = await copyReleases(sql, releases, ids)
  step('releases copied')
  // progress by the release service's own code; in chunks, since it filters per release in memory
  for (let i = 0; i < releaseIds.length; i += 250) {
    await sql.begin((tx) => recomputeReleases(tx, releaseIds.slice(i, i + 250)))
  }
  step('release progress computed')
  await sql`vacuum (freeze, analyze)`
  step('vacuumed and analyzed')
}

/**
 * Runs `load` with the table's secondary indexes dropped, then builds them again from their own
 * definitions (what the migrations made): one sort per index instead of a million random
 * b-tree inserts.
 */
async function copyIndexedLater(sql: Sql, table: string, load: () => Promise<void>) {
  const indexes = await sql<Array<{ name: string; definition: string }>>`
    select i.relname as name, pg_get_indexdef(i.oid) as definition
    from pg_index x join pg_class i on i.oid = x.indexrelid
    where x.indrelid = ${table}::regclass and not x.indisprimary and not x.indisunique`
  for (const { name } of indexes) await sql.unsafe(`drop index "${name}"`)
  await load()
  await sql`set maintenance_work_mem = '512MB'`
  for (const { definition } of indexes) await sql.unsafe(definition)
}

function stepper(say: (line: string) => void) {
  let last = performance.now()
  return (what: string) => {
    const now = performance.now()
    say(`  ${what} (${((now - last) / 1000).toFixed(1)} s)`)
    last = now
  }
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Each version as its build event left it (services/release/src/record.ts, applyBuilds), in the
 * order the release service inserted them (by their first event, the build): the table's physical
 * order, which decides how many pages a read of recent versions touches, is the real one.
 */
function* versionRows(catalog: Catalog, events: Events, ids: Ids): Generator<Field[]> {
  for (const k of events.order) {
    if (events.kind[k] !== 1) continue
    const g = events.owner[k]!
    const p = events.versionProduct[g]!
    const v = g - events.versionBase[p]!
    const product = catalog.products[p]!
    const version = catalog.versions[p]![v]!
    yield [
      ids.versions[p]![v]!,
      ids.products[p]!,
      version.version,
      version.sha,
      `github.com/acme/${product.name}`,
      'main',
      product.commitInBuild ? iso(version.committedAt) : null,
      String(version.build),
      `https://ci.example.com/acme/${product.name}/builds/${version.build}`,
      'github-actions',
      'github-actions[bot]',
      'completed',
      iso(events.started[k]!),
      iso(events.at[k]!),
      iso(events.at[k]!),
      iso(events.received[k]! + PROCESSING_MS),
      iso(events.at[k]!),
    ]
  }
}

/**
 * Each deployment as the fold of its events (services/release/src/deployments.ts), in the order
 * the release service inserted them (by their first event).
 */
function* deploymentRows(
  catalog: Catalog,
  d: Deployments,
  events: Events,
  ids: Ids
): Generator<Field[]> {
  for (const k of events.order) {
    if (events.kind[k] !== 0 || events.first[events.owner[k]!] !== k) continue
    const i = events.owner[k]!
    const p = d.product[i]!
    const v = d.version[i]!
    const product = catalog.products[p]!.name
    const { build } = catalog.versions[p]![v]!
    const environment = ENVIRONMENTS[d.environment[i]!]!
    const terminal = isTerminalCode(d.status[i]!)
    const newest = events.newest[i]!
    const by = who(d.by[i]!)
    const ticket = changeTicket(i)
    yield [
      deploymentId(product, catalog.versions[p]![v]!.version, environment),
      ids.products[p]!,
      ids.versions[p]![v]!,
      ids.environments[d.environment[i]!]!,
      statusName(d.status[i]!),
      // the earliest start any of its events reported
      iso(d.retryStart[i] || events.started[newest]!),
      terminal ? iso(d.at[i]!) : null,
      iso(d.at[i]!),
      String(events.seq[newest]!),
      eventId(events, newest),
      by.name,
      by.email,
      by.display,
      source(d.by[i]!),
      deployUrl(catalog, d, i),
      `https://ci.example.com/acme/${product}/builds/${build}`,
      String(build),
      `run-${i + 1}`,
      ticket ? JSON.stringify(ticket) : null,
      iso(events.received[events.first[i]!]! + PROCESSING_MS),
      iso(events.received[newest]! + PROCESSING_MS),
    ]
  }
}

async function copyReleases(sql: Sql, releases: SeedRelease[], ids: Ids): Promise<string[]> {
  const rand = prng(5)
  const releaseIds = releases.map((r) => uuidv7At(r.at, rand))
  await copy(
    sql,
    `release (id, name, description, status, extra_metadata, created_at, updated_at, created_by,
      automatic, detected_version_id, release_date, end_date, environments, visible_on_charts)`,
    releases.map((r, i) => [
      releaseIds[i]!,
      r.name,
      r.description,
      r.status,
      JSON.stringify(r.extraMetadata),
      iso(r.at),
      iso(r.history.at(-1)!.at),
      r.createdBy,
      String(r.automatic),
      r.automatic ? ids.versions[r.versions[0]!.product]![r.versions[0]!.version]! : null,
      r.releaseDate === null ? null : iso(r.releaseDate),
      r.endDate === null ? null : iso(r.endDate),
      r.environments ? `{${r.environments.map((e) => ids.environments[e]!).join(',')}}` : null,
      String(r.visible),
    ])
  )
  await copy(
    sql,
    'release_version (release_id, version_id, product_id, added_at, added_by)',
    releases.flatMap((r, i) =>
      r.versions.map((v) => [
        releaseIds[i]!,
        ids.versions[v.product]![v.version]!,
        ids.products[v.product]!,
        iso(v.at),
        r.createdBy,
      ])
    )
  )
  await copy(
    sql,
    'release_history (release_id, at, actor, action, changes)',
    releases.flatMap((r, i) =>
      r.history.map((h) => [
        releaseIds[i]!,
        iso(h.at),
        h.actor,
        h.action,
        JSON.stringify(h.changes),
      ])
    )
  )
  return releaseIds
}

type Field = string | null

/** COPY … FROM STDIN in text format, written in ~256 KB chunks. */
async function copy(sql: Sql, target: string, rows: Iterable<Field[]>): Promise<void> {
  const writable = await sql.unsafe(`copy ${target} from stdin`).writable()
  await pipeline(Readable.from(chunks(rows)), writable)
}

function* chunks(rows: Iterable<Field[]>): Generator<string> {
  let buffer = ''
  for (const row of rows) {
    buffer += row.map(field).join('\t') + '\n'
    if (buffer.length > 256 * 1024) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer) yield buffer
}

const field = (value: Field) =>
  value === null
    ? '\\N'
    : value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'
      )
