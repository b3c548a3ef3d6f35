/**
 * The events behind the API benchmark's history: what ingest would have published and the release
 * service stored for it. Every deployment row is the fold of its events (the rule in
 * services/release/src/deployments.ts), so the rows ./seed.ts writes are derived from these:
 *  - a deployment is reported by its start and its end, or (tools that report only the result) by
 *    its end alone, carrying `started_at`; one still running has only its start, one queued only
 *    `pending`; a retried deployment has a failed attempt first, then the one that succeeded;
 *  - every version has a build event (CI reports builds), which names it first;
 *  - events reach ingest a moment after they happen and take stream sequence numbers in arrival
 *    order, as JetStream assigns them; every one was applied (no SHA conflicts).
 */
import {
  ENVIRONMENTS,
  PEOPLE_AND_BOTS,
  isTerminalCode,
  person,
  prng,
  reporter,
  source,
  statusName,
  uuidv7At,
  type Catalog,
  type Deployments,
} from './dataset.ts'

const MINUTE = 60_000
/** From receipt to the release service's commit (stored_at, and rows' created_at/updated_at). */
export const PROCESSING_MS = 40

export interface Events {
  count: number
  /** 0: a deployment event, 1: a build event. */
  kind: Uint8Array
  /** The deployment's index, or for a build event the version's global index (see `versionBase`). */
  owner: Uint32Array
  /** Status code (dataset.ts statusName); builds are completed. */
  status: Uint8Array
  /** 1: the failed first attempt of a retried deployment (its own CI run). */
  retry: Uint8Array
  /** The event's own time (occurred_at): completion for terminal statuses, start otherwise. */
  at: Float64Array
  /** The `started_at` it carries. */
  started: Float64Array
  received: Float64Array
  /** Stream sequence of each event: arrival order, from 1. */
  seq: Float64Array
  /** Events in stream order. */
  order: Uint32Array
  /** Per deployment: its first event (which created the row) and its newest (which the row shows). */
  first: Uint32Array
  newest: Uint32Array
  /** Per product: the global index of its first version; per global version index: its product. */
  versionBase: Uint32Array
  versionProduct: Uint16Array
  /** Per environment: the own time of its first event, and when that arrived. */
  environmentFirstSeen: Float64Array
  environmentFirstReceived: Float64Array
}

export function generateEvents(catalog: Catalog, d: Deployments, seed = 6): Events {
  const rand = prng(seed)
  const versionBase = new Uint32Array(catalog.products.length)
  let versions = 0
  catalog.versions.forEach((own, p) => {
    versionBase[p] = versions
    versions += own.length
  })
  const versionProduct = new Uint16Array(versions)
  catalog.versions.forEach((own, p) =>
    versionProduct.fill(p, versionBase[p], versionBase[p]! + own.length)
  )
  let count = versions
  for (let i = 0; i < d.count; i++) {
    const starts = catalog.products[d.product[i]!]!.reportsStart && isTerminalCode(d.status[i]!)
    count += (1 + (starts ? 1 : 0)) * (d.retryStart[i] ? 2 : 1)
  }
  const e: Events = {
    count,
    kind: new Uint8Array(count),
    owner: new Uint32Array(count),
    status: new Uint8Array(count),
    retry: new Uint8Array(count),
    at: new Float64Array(count),
    started: new Float64Array(count),
    received: new Float64Array(count),
    seq: new Float64Array(count),
    order: new Uint32Array(count),
    first: new Uint32Array(d.count),
    newest: new Uint32Array(d.count),
    versionBase,
    versionProduct,
    environmentFirstSeen: new Float64Array(ENVIRONMENTS.length).fill(Infinity),
    environmentFirstReceived: new Float64Array(ENVIRONMENTS.length),
  }
  let k = 0
  const push = (kind: number, owner: number, status: number, at: number, started: number) => {
    e.kind[k] = kind
    e.owner[k] = owner
    e.status[k] = status
    e.at[k] = at
    e.started[k] = started
    // a CD tool reports a moment after the fact
    e.received[k] = at + 150 + Math.floor(rand() * 2850)
    return k++
  }
  catalog.versions.forEach((own, p) =>
    own.forEach((v, i) => push(1, versionBase[p]! + i, 0, v.at, v.at - 8 * MINUTE))
  )
  for (let i = 0; i < d.count; i++) {
    const status = d.status[i]!
    const terminal = isTerminalCode(status)
    const starts = catalog.products[d.product[i]!]!.reportsStart && terminal
    let first = -1
    if (d.retryStart[i]) {
      if (starts) first = push(0, i, 3, d.retryStart[i]!, d.retryStart[i]!)
      const failed = push(0, i, 1, d.retryFailed[i]!, d.retryStart[i]!)
      e.retry[failed] = 1
      if (first < 0) first = failed
    }
    if (starts) {
      const started = push(0, i, 3, d.begun[i]!, d.begun[i]!)
      if (first < 0) first = started
    }
    // the newest: its result, or its start (or queueing) if it has not finished
    const newest = push(0, i, status, d.at[i]!, terminal ? d.begun[i]! : d.at[i]!)
    e.first[i] = first < 0 ? newest : first
    e.newest[i] = newest
    const env = d.environment[i]!
    if (e.at[e.first[i]!]! < e.environmentFirstSeen[env]!) {
      e.environmentFirstSeen[env] = e.at[e.first[i]!]!
      e.environmentFirstReceived[env] = e.received[e.first[i]!]!
    }
  }
  const order = Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => e.received[a]! - e.received[b]! || a - b
  )
  order.forEach((i, rank) => {
    e.order[rank] = i
    e.seq[i] = rank + 1
  })
  return e
}

/** The event's id: a UUIDv7 of when it arrived, as ingest makes one for an event without a key. */
export const eventId = (e: Events, i: number) =>
  uuidv7At(e.received[i]!, prng(Math.imul(i + 1, 0x9e3779b1)))

type Field = string | null

export interface Ids {
  products: string[]
  environments: string[]
  /** Per product, per version. */
  versions: string[][]
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Rows of `event` in stream order: id, stream_seq, kind, product_id, version_id, environment_id,
 *  status, occurred_at, received_at, stored_at, outcome, reporter, payload. */
export function* eventRows(
  catalog: Catalog,
  d: Deployments,
  e: Events,
  ids: Ids
): Generator<Field[]> {
  for (let rank = 0; rank < e.count; rank++) {
    const i = e.order[rank]!
    const id = eventId(e, i)
    const received = iso(e.received[i]!)
    if (e.kind[i] === 1) {
      const g = e.owner[i]!
      const p = e.versionProduct[g]!
      const v = g - e.versionBase[p]!
      const product = catalog.products[p]!
      const version = catalog.versions[p]![v]!
      const payload = {
        kind: 'build',
        product_name: product.name,
        version: version.version,
        scm_sha: version.sha,
        scm_repository: `github.com/acme/${product.name}`,
        scm_branch: 'main',
        scm_committed_at: product.commitInBuild ? iso(version.committedAt) : undefined,
        build_number: String(version.build),
        build_url: `https://ci.example.com/acme/${product.name}/builds/${version.build}`,
        source_system: 'github-actions',
        invoke_id: `build-${product.name}-${version.build}`,
        started_at: iso(e.started[i]!),
        completed_at: iso(e.at[i]!),
        built_by: 'github-actions[bot]',
        id,
        status: 'completed',
        received_at: received,
        reporter: 'ci-github',
      }
      yield [
        id,
        String(rank + 1),
        'build',
        ids.products[p]!,
        ids.versions[p]![v]!,
        null,
        'completed',
        iso(e.at[i]!),
        received,
        iso(e.received[i]! + PROCESSING_MS),
        'applied',
        'ci-github',
        JSON.stringify(payload),
      ]
      continue
    }
    const n = e.owner[i]!
    const p = d.product[n]!
    const v = d.version[n]!
    const env = d.environment[n]!
    const product = catalog.products[p]!
    const version = catalog.versions[p]![v]!
    const status = statusName(e.status[i]!)
    const terminal = isTerminalCode(e.status[i]!)
    const by = who(d.by[n]!)
    const payload = {
      kind: 'deployment',
      product_name: product.name,
      version: version.version,
      scm_sha: version.sha,
      scm_committed_at: product.commitInPayload ? iso(version.committedAt) : undefined,
      build_number: String(version.build),
      build_url: `https://ci.example.com/acme/${product.name}/builds/${version.build}`,
      source_system: source(d.by[n]!),
      // the failed attempt was a CI run of its own
      invoke_id: e.retry[i] ? `run-${n + 1}-1` : `run-${n + 1}`,
      started_at: iso(e.started[i]!),
      completed_at: terminal ? iso(e.at[i]!) : undefined,
      extra_metadata: changeTicket(n),
      environment_name: ENVIRONMENTS[env]!,
      deployed_by: by.name,
      deployed_by_email: by.email ?? undefined,
      deployed_by_name: by.display ?? undefined,
      deploy_url: deployUrl(catalog, d, n),
      id,
      status,
      received_at: received,
      reporter: reporter(d.by[n]!),
    }
    yield [
      id,
      String(rank + 1),
      'deployment',
      ids.products[p]!,
      ids.versions[p]![v]!,
      ids.environments[env]!,
      status,
      iso(e.at[i]!),
      received,
      iso(e.received[i]! + PROCESSING_MS),
      'applied',
      reporter(d.by[n]!),
      JSON.stringify(payload),
    ]
  }
}

/** A person or bot by index: their email and display name follow. */
export function who(i: number): { name: string; email: string | null; display: string | null } {
  const name = person(i % PEOPLE_AND_BOTS)
  const human = !name.includes('[') && !['argocd', 'jenkins'].includes(name)
  return {
    name,
    email: human ? `${name}@example.com` : null,
    display: human ? name[0]!.toUpperCase() + name.slice(1) : null,
  }
}

/** One deployment in ten names its change ticket in extra_metadata. */
export function changeTicket(n: number): { change_ticket: string } | undefined {
  const r = prng(Math.imul(n + 1, 0x85ebca6b))
  return r() < 0.1 ? { change_ticket: `CHG-${Math.floor(r() * 90000) + 10000}` } : undefined
}

export const deployUrl = (catalog: Catalog, d: Deployments, n: number) =>
  `https://deploy.example.com/${catalog.products[d.product[n]!]!.name}/${ENVIRONMENTS[d.environment[n]!]!}/${n + 1}`
