/**
 * The API benchmark's database: created fresh, migrated with the release service's own
 * migrations, filled by COPY from ./dataset.ts, its board cells and release progress computed by
 * the release service's own code (recomputeCells, recomputeReleases), then vacuumed and analyzed.
 *
 * Seeding takes minutes, so the database is kept between runs and recognized by a comment holding
 * its signature: the generator's version, the shape, and the migrations it was seeded under. A
 * run re-seeds when asked (--reseed) or when the signature differs, so a new migration (an index,
 * or columns the release service now computes) never meets data the system would not produce.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { SYSTEM_ACTOR, deploymentId, environmentId, productId, versionId } from '@shiplog/contracts'
import type { Logger } from '@shiplog/kit'
import { connectPostgres, type Sql } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import { recomputeCells } from '@shiplog/release/record'
import postgres from 'postgres'

import { recomputeReleases } from '../../services/release/src/releases.ts'

import {
  ENVIRONMENTS,
  PEOPLE_AND_BOTS,
  generateDeployments,
  generateReleases,
  person,
  prng,
  source,
  statusName,
  uuidv7At,
  type Catalog,
  type SeedRelease,
  type Shape,
} from './dataset.ts'

/** Bump when the generator changes: a cached database with another signature is re-seeded. */
const GENERATOR = 'api-seed/1'

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
    const cached = !!row && row.comment === signature && !options.reseed
    if (!cached) {
      say(
        row
          ? `re-seeding ${database} (${options.reseed ? '--reseed' : 'dataset or migrations changed'})`
          : `seeding ${database} (first run; later runs reuse it, --reseed to redo)`
      )
      await admin.unsafe(`drop database if exists "${database}" with (force)`)
      await admin.unsafe(`create database "${database}"`)
    }
    const sql = connectPostgres(url.toString(), options.log, { max: 4, name: 'shiplog-bench-seed' })
    try {
      if (cached) return { url: url.toString(), cached: true, seconds: 0, signature }
      await migrate(sql, options.log)
      await fill(sql, shape, say)
      await admin.unsafe(
        `comment on database "${database}" is '${signature.replaceAll("'", "''")}'`
      )
    } finally {
      await sql.end({ timeout: 5 })
    }
  } finally {
    await admin.end({ timeout: 5 })
  }
  const seconds = (performance.now() - started) / 1000
  say(`seeded in ${seconds.toFixed(0)} s`)
  return { url: url.toString(), cached: false, seconds, signature }
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

async function fill(sql: Sql, shape: Shape, say: (line: string) => void) {
  const step = stepper(say)
  const { catalog, deployments } = generateDeployments(shape, Date.now())
  const releases = generateReleases(shape, catalog)
  step(
    `generated ${deployments.count.toLocaleString('en')} deployments and ${releases.length.toLocaleString('en')} releases`
  )

  await copy(
    sql,
    'product (id, name, created_at)',
    catalog.products.map((p) => [productId(p.name), p.name, iso(p.createdAt)])
  )
  await copy(
    sql,
    'environment (id, name, type, created_at)',
    catalog.environments.map((e) => [environmentId(e.name), e.name, e.type, iso(catalog.start)])
  )
  await copy(
    sql,
    `version (id, product_id, version, scm_sha, scm_repository, scm_branch, scm_committed_at,
      build_number, build_url, source_system, built_by, build_status, build_started_at,
      build_completed_at, build_event_at, created_at)`,
    versionRows(catalog)
  )
  step('catalog copied')

  await copy(
    sql,
    `deployment (id, product_id, version_id, environment_id, status, started_at, completed_at,
      last_event_at, last_event_seq, last_event_id, deployed_by, deployed_by_email, deployed_by_name,
      source_system, deploy_url, build_url, build_number, invoke_id, extra_metadata, created_at,
      updated_at)`,
    deploymentRows(catalog, deployments)
  )
  step('deployments copied')

  // the board: every (product, environment) that has deployments, by the release service's rule
  const cells = new Map<number, { product_id: string; environment_id: string }>()
  for (let i = 0; i < deployments.count; i++) {
    const key = deployments.product[i]! * 256 + deployments.environment[i]!
    if (cells.has(key)) continue
    cells.set(key, {
      product_id: productId(catalog.products[deployments.product[i]!]!.name),
      environment_id: environmentId(ENVIRONMENTS[deployments.environment[i]!]!),
    })
  }
  await sql.begin((tx) => recomputeCells(tx, [...cells.values()]))
  step(`${cells.size.toLocaleString('en')} board cells computed`)

  const ids = await copyReleases(sql, catalog, releases)
  step('releases copied')
  // progress by the release service's own code; in chunks, since it filters per release in memory
  for (let i = 0; i < ids.length; i += 250) {
    await sql.begin((tx) => recomputeReleases(tx, ids.slice(i, i + 250)))
  }
  step('release progress computed')
  await sql`vacuum (analyze)`
  step('vacuumed and analyzed')
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
const hex = (rand: () => number, n: number) => {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16)
  return s
}

function* versionRows(catalog: Catalog): Generator<Field[]> {
  const rand = prng(3)
  for (const [p, own] of catalog.versions.entries()) {
    const product = catalog.products[p]!.name
    for (const [v, { version, at }] of own.entries()) {
      const build = 1000 + v
      yield [
        versionId(product, version),
        productId(product),
        version,
        hex(rand, 40),
        `github.com/acme/${product}`,
        'main',
        iso(at - 15 * 60_000),
        String(build),
        `https://ci.example.com/acme/${product}/builds/${build}`,
        'github-actions',
        'github-actions[bot]',
        'completed',
        iso(at - 8 * 60_000),
        iso(at),
        iso(at),
        iso(at),
      ]
    }
  }
}

function* deploymentRows(
  catalog: Catalog,
  d: ReturnType<typeof generateDeployments>['deployments']
): Generator<Field[]> {
  const rand = prng(4)
  // one person per index: their email and display name follow
  const who = Array.from({ length: PEOPLE_AND_BOTS }, (_, i) => {
    const name = person(i)
    const human = !name.includes('[') && !['argocd', 'jenkins'].includes(name)
    return {
      name,
      email: human ? `${name}@example.com` : null,
      display: human ? name[0]!.toUpperCase() + name.slice(1) : null,
    }
  })
  for (let i = 0; i < d.count; i++) {
    const product = catalog.products[d.product[i]!]!.name
    const { version } = catalog.versions[d.product[i]!]![d.version[i]!]!
    const environment = ENVIRONMENTS[d.environment[i]!]!
    const status = statusName(d.status[i]!)
    const at = d.at[i]!
    const begun = at - d.durationMs[i]!
    const terminal = status !== 'started' && status !== 'pending'
    const seq = d.seq[i]!
    const by = who[d.by[i]!]!
    const build = 1000 + d.version[i]!
    yield [
      deploymentId(product, version, environment),
      productId(product),
      versionId(product, version),
      environmentId(environment),
      status,
      status === 'pending' ? null : iso(begun),
      terminal ? iso(at) : null,
      iso(at),
      String(seq),
      uuidv7At(at, rand),
      by.name,
      by.email,
      by.display,
      source(d.by[i]!),
      `https://deploy.example.com/${product}/${environment}/${seq}`,
      `https://ci.example.com/acme/${product}/builds/${build}`,
      String(build),
      `run-${seq}`,
      rand() < 0.1 ? `{"change_ticket":"CHG-${Math.floor(rand() * 90000) + 10000}"}` : null,
      iso(begun),
      iso(at),
    ]
  }
}

async function copyReleases(
  sql: Sql,
  catalog: Catalog,
  releases: SeedRelease[]
): Promise<string[]> {
  const rand = prng(5)
  const ids = releases.map((r) => uuidv7At(r.at, rand))
  const name = (p: number) => catalog.products[p]!.name
  const version = (p: number, v: number) => catalog.versions[p]![v]!.version
  await copy(
    sql,
    'release (id, name, description, status, extra_metadata, created_at, updated_at, created_by)',
    releases.map((r, i) => [
      ids[i]!,
      r.name,
      r.description,
      r.status,
      JSON.stringify(r.ticket ? { ticket: r.ticket } : {}),
      iso(r.at),
      iso(r.changes.at(-1)?.at ?? r.at + r.versions.length * 1000),
      r.createdBy,
    ])
  )
  await copy(
    sql,
    'release_version (release_id, version_id, product_id, added_at, added_by)',
    releases.flatMap((r, i) =>
      r.versions.map(([p, v], k) => [
        ids[i]!,
        versionId(name(p), version(p, v)),
        productId(name(p)),
        iso(r.at + (k + 1) * 1000),
        r.createdBy,
      ])
    )
  )
  await copy(
    sql,
    'release_history (release_id, at, actor, action, changes)',
    releases.flatMap((r, i): Field[][] => [
      [
        ids[i]!,
        iso(r.at),
        r.createdBy,
        'created',
        JSON.stringify({ name: r.name, status: 'draft' }),
      ],
      ...r.versions.map(([p, v], k): Field[] => [
        ids[i]!,
        iso(r.at + (k + 1) * 1000),
        r.createdBy,
        'version_added',
        JSON.stringify({
          version_id: versionId(name(p), version(p, v)),
          product_name: name(p),
          version: version(p, v),
        }),
      ]),
      ...r.changes.map((c): Field[] => [
        ids[i]!,
        iso(c.at),
        c.actor,
        'status_changed',
        JSON.stringify(
          c.actor === SYSTEM_ACTOR
            ? {
                from: c.from,
                to: c.to,
                reason: 'a deployment of one of its versions started',
              }
            : { from: c.from, to: c.to }
        ),
      ]),
    ])
  )
  return ids
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
