/**
 * The API benchmark's synthetic history, generated deterministically from one seed: 200 products
 * moving ~200,000 versions through an 8-environment pipeline over two years (1,000,000 deployment
 * rows), and 10,000 releases bundling one version per product. Pure data: ./seed.ts writes it.
 *
 * Shaped like a real installation rather than a uniform grid, because plans and payloads depend on
 * the shape: products differ in activity; a version moves left to right and stops where a
 * deployment failed or was aborted; production lags dev (drift); old releases are completed or
 * cancelled while recent ones are in progress or drafts; every product also has one built but not
 * yet deployed version, which drafts hold (a draft whose version started deploying would have
 * moved to in_progress by itself).
 */
import { inferEnvironmentType, type EnvironmentType, type ReleaseStatus } from '@shiplog/contracts'

export interface Shape {
  products: number
  deployments: number
  releases: number
}

export const SHAPE: Shape = { products: 200, deployments: 1_000_000, releases: 10_000 }

export const ENVIRONMENTS = [
  'dev',
  'qa',
  'integration',
  'staging',
  'pre-prod',
  'production-eu',
  'production-us',
  'production-ap',
] as const

/** Chance that a version which succeeded in environment i - 1 is deployed to environment i. */
const PROMOTE = [1, 0.9, 0.9, 0.85, 0.8, 0.75, 0.9, 0.9]
const STATUS_CODES = ['completed', 'failed', 'aborted', 'started', 'pending'] as const
export type DeploymentStatus = (typeof STATUS_CODES)[number]

const DAY = 86_400_000
const SPAN_DAYS = 730

const AREAS = [
  'checkout',
  'cart',
  'payments',
  'search',
  'catalog',
  'auth',
  'billing',
  'inventory',
  'shipping',
  'notifications',
  'profile',
  'reviews',
  'pricing',
  'orders',
  'gateway',
  'recommendations',
  'analytics',
  'media',
  'email',
  'ledger',
]
const ROLES = ['api', 'worker', 'web', 'service', 'sync', 'jobs', 'admin', 'edge', 'core', 'events']
const PEOPLE = [
  'ana',
  'bruno',
  'chen',
  'dara',
  'emeka',
  'fatima',
  'goran',
  'hana',
  'ivan',
  'jun',
  'kofi',
  'lena',
  'mateo',
  'noor',
  'olga',
  'pavel',
]
const BOTS = ['github-actions[bot]', 'argocd', 'jenkins']
const SOURCES = ['github-actions', 'argocd', 'jenkins']
const THEMES = ['Weekly train', 'Hotfix', 'Platform upgrade', 'Checkout revamp', 'Q-end freeze']

/** mulberry32: small, fast, good enough for synthetic data, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Catalog {
  now: number
  start: number
  products: Array<{ name: string; createdAt: number }>
  environments: Array<{ name: string; type: EnvironmentType }>
  /**
   * Versions per product, oldest first; `live` when deployed successfully to every production
   * environment. The last version of each product is built but never deployed.
   */
  versions: Array<Array<{ version: string; at: number; live: boolean }>>
}

/** Deployments as columns (a million objects would cost ~10x the memory). */
export interface Deployments {
  count: number
  product: Uint16Array
  version: Uint32Array
  environment: Uint8Array
  status: Uint8Array
  at: Float64Array
  durationMs: Uint32Array
  /** Global rank by time, as the stream sequence of the deployment's newest event. */
  seq: Float64Array
  by: Uint8Array
}

export const statusName = (code: number): DeploymentStatus => STATUS_CODES[code]!
export const person = (i: number) => (i < PEOPLE.length ? PEOPLE[i]! : BOTS[i - PEOPLE.length]!)
export const PEOPLE_AND_BOTS = PEOPLE.length + BOTS.length
export const source = (i: number) => SOURCES[i % SOURCES.length]!

export function generateDeployments(
  shape: Shape,
  now: number,
  seed = 1
): {
  catalog: Catalog
  deployments: Deployments
} {
  const rand = prng(seed)
  const start = now - SPAN_DAYS * DAY
  // versions are built until a day before `now`, so every pipeline run ends in the past
  const end = now - 22 * 3_600_000
  const names = AREAS.flatMap((a) => ROLES.map((r) => `${a}-${r}`))
  const products = Array.from({ length: shape.products }, (_, i) => ({
    name: i < names.length ? names[i]! : `service-${i}`,
    createdAt: start,
  }))
  // activity differs a lot between products: quotas by largest remainder sum to the total exactly
  const weights = products.map(() => 0.3 + rand() ** 2 * 3)
  const total = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (w / total) * shape.deployments)
  const quota = exact.map(Math.floor)
  const short = shape.deployments - quota.reduce((a, b) => a + b, 0)
  exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, short)
    .forEach(([, i]) => quota[i]!++)

  const d: Deployments = {
    count: shape.deployments,
    product: new Uint16Array(shape.deployments),
    version: new Uint32Array(shape.deployments),
    environment: new Uint8Array(shape.deployments),
    status: new Uint8Array(shape.deployments),
    at: new Float64Array(shape.deployments),
    durationMs: new Uint32Array(shape.deployments),
    seq: new Float64Array(shape.deployments),
    by: new Uint8Array(shape.deployments),
  }
  const versions: Catalog['versions'] = []
  let n = 0
  for (let p = 0; p < products.length; p++) {
    // one pipeline run per version; count the runs first so their times spread over the span
    const runs: number[][] = []
    let left = quota[p]!
    while (left > 0) {
      const envs: number[] = []
      for (let e = 0; e < ENVIRONMENTS.length && left > 0; e++) {
        if (rand() >= PROMOTE[e]!) break
        envs.push(e)
        left--
        if (rand() < 0.08) break // failed or aborted here: the version goes no further
      }
      if (envs.length) runs.push(envs)
    }
    const own: Catalog['versions'][number] = []
    let [major, minor, patch] = [1, 0, 0]
    for (let v = 0; v < runs.length + 1; v++) {
      const at = start + ((v + rand() * 0.8) / (runs.length + 1)) * (end - start)
      own.push({ version: `${major}.${minor}.${patch}`, at, live: false })
      if (rand() < 0.003) [major, minor, patch] = [major + 1, 0, 0]
      else if (rand() < 0.05) [minor, patch] = [minor + 1, 0]
      else patch++
    }
    products[p]!.createdAt = own[0]!.at
    versions.push(own)
    const by = Math.floor(rand() * PEOPLE_AND_BOTS)
    runs.forEach((envs, v) => {
      let at = own[v]!.at
      envs.forEach((e, i) => {
        at += (20 + rand() * 120) * 60_000
        const last = i === envs.length - 1
        const roll = rand()
        const newest = v === runs.length - 1 && last
        d.status[n] = newest
          ? roll < 0.3
            ? 3
            : roll < 0.35
              ? 4
              : 0
          : last && e < ENVIRONMENTS.length - 1 && roll < 0.6
            ? roll < 0.45
              ? 1
              : 2
            : 0
        if (last && e === ENVIRONMENTS.length - 1 && d.status[n] === 0) own[v]!.live = true
        d.product[n] = p
        d.version[n] = v
        d.environment[n] = e
        d.at[n] = Math.round(at)
        d.durationMs[n] = Math.round((1 + rand() * 11) * 60_000)
        d.by[n] = rand() < 0.7 ? by : Math.floor(rand() * PEOPLE_AND_BOTS)
        n++
      })
    })
  }
  // the stream sequence of each deployment's newest event follows time, as ingest would assign it
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d.at[a]! - d.at[b]!)
  order.forEach((i, rank) => (d.seq[i] = rank + 1))
  return {
    catalog: {
      now,
      start,
      products,
      environments: ENVIRONMENTS.map((name) => ({ name, type: inferEnvironmentType(name) })),
      versions,
    },
    deployments: d,
  }
}

export interface SeedRelease {
  /** Creation time: the UUIDv7 id is made from it, so id order is creation order. */
  at: number
  name: string
  description: string | null
  status: ReleaseStatus
  createdBy: string
  /** [product index, version index] */
  versions: Array<[number, number]>
  /** Status changes after creation, in order (from draft, the first is the system's). */
  changes: Array<{ at: number; from: ReleaseStatus; to: ReleaseStatus; actor: string }>
  ticket: string | null
}

/** Releases over the same two years; each holds the newest version of 2–25 products at its time. */
export function generateReleases(shape: Shape, catalog: Catalog, seed = 2): SeedRelease[] {
  const rand = prng(seed)
  const { start, now } = catalog
  const releases: SeedRelease[] = []
  for (let r = 0; r < shape.releases; r++) {
    const at = Math.round(start + ((r + rand() * 0.9) / shape.releases) * (now - DAY - start))
    const ageDays = (now - at) / DAY
    const roll = rand()
    const status: ReleaseStatus =
      ageDays > 45
        ? roll < 0.94
          ? 'completed'
          : roll < 0.99
            ? 'cancelled'
            : 'in_progress'
        : roll < 0.55
          ? 'in_progress'
          : roll < 0.85
            ? 'completed'
            : roll < 0.9
              ? 'cancelled'
              : 'draft'
    const count = 2 + Math.floor(rand() ** 2 * 24)
    const picked = new Set<number>()
    while (picked.size < count) picked.add(Math.floor(rand() * catalog.products.length))
    const versions: Array<[number, number]> = []
    for (const p of [...picked].sort((a, b) => a - b)) {
      const own = catalog.versions[p]!
      // a draft holds versions not yet deployed; a completed release, versions that reached
      // production; the others, the newest version built by then
      const v = status === 'draft' ? own.length - 1 : newestBefore(own, at, status === 'completed')
      if (v >= 0) versions.push([p, v])
    }
    const actor = PEOPLE[Math.floor(rand() * PEOPLE.length)]!
    const changes: SeedRelease['changes'] = []
    if (status !== 'draft') {
      const startedAt = at + (0.5 + rand() * 6) * 3_600_000
      const cancelledEarly = status === 'cancelled' && rand() < 0.4
      if (!cancelledEarly) {
        changes.push({ at: startedAt, from: 'draft', to: 'in_progress', actor: 'shiplog' })
      }
      if (status !== 'in_progress') {
        changes.push({
          at: Math.min(startedAt + (1 + rand() * 72) * 3_600_000, now - 60_000),
          from: cancelledEarly ? 'draft' : 'in_progress',
          to: status,
          actor,
        })
      }
    }
    const theme = THEMES[Math.floor(rand() ** 3 * THEMES.length)]!
    releases.push({
      at,
      name: `${theme} ${new Date(at).toISOString().slice(0, 10)} #${r + 1}`,
      description: rand() < 0.5 ? null : `Ships ${versions.length} services together.`,
      status,
      createdBy: actor,
      versions,
      changes,
      ticket: rand() < 0.6 ? `REL-${1000 + r}` : null,
    })
  }
  return releases
}

function newestBefore(own: Catalog['versions'][number], at: number, live: boolean): number {
  // the last version is the undeployed one: releases other than drafts never pick it
  let lo = 0
  let hi = own.length - 2
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (own[mid]!.at <= at) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  if (live) while (found >= 0 && !own[found]!.live) found--
  return found
}

/** A UUIDv7 for a given time, with deterministic "random" bits. */
export function uuidv7At(ms: number, rand: () => number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0')
  const r = (bits: number) =>
    Math.floor(rand() * 2 ** bits)
      .toString(16)
      .padStart(bits / 4, '0')
  const variant = (8 + Math.floor(rand() * 4)).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${r(12)}-${variant}${r(12)}-${r(24)}${r(24)}`
}
