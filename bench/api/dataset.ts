/**
 * The API benchmark's synthetic history, generated deterministically from one seed: 200 products
 * moving ~240,000 versions through an 8-environment pipeline over a year (1,000,000 deployment
 * rows). Pure data: ./events.ts turns it into the events the rows are the fold of, ./releases.ts
 * adds the releases, ./seed.ts writes it all.
 *
 * Shaped like a real installation rather than a uniform grid, because plans and payloads depend on
 * the shape: products differ in activity and in how their tools report (semantic versions or
 * build numbers; started and finished, or only finished; commit times from CI or from the CD
 * tool, or not at all); a version moves left to right and stops where a deployment failed or was
 * aborted, and some succeed only after a failed attempt; production lags dev (drift); every
 * product also has one built but not yet deployed version.
 */
import { inferEnvironmentType, type EnvironmentType } from '@shiplog/contracts'

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

export const DAY = 86_400_000
const MINUTE = 60_000
const SPAN_DAYS = 365
/** Share of products with semantic versions (the others deploy CI build numbers, e.g. "1234"). */
const SEMVER_SHARE = 0.2
/** Share of successful deployments that succeeded on a second attempt, after a failed one. */
const RETRY_SHARE = 0.05

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
export const PEOPLE = [
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
/** The name of the ingest token each source reports with (the event's `reporter`). */
const REPORTERS = ['ci-github', 'cd-argocd', 'ci-jenkins']

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

export interface Product {
  name: string
  /** Versions are semantic ("2.14.3"): its first successful production deployments make releases. */
  semver: boolean
  /** Its CD tool reports a deployment's start as well as its end (else only the end). */
  reportsStart: boolean
  /** Its CI's build events carry the commit time. */
  commitInBuild: boolean
  /** Its CD tool's deployment events carry the commit time (when CI does not). */
  commitInPayload: boolean
}

export interface Version {
  version: string
  build: number
  sha: string
  /** Build completed (the build event's own time). */
  at: number
  committedAt: number
  /** Deployed successfully to every production environment. */
  live: boolean
}

export interface Catalog {
  now: number
  start: number
  products: Product[]
  environments: Array<{ name: string; type: EnvironmentType }>
  /** Versions per product, oldest first. The last version of each product is never deployed. */
  versions: Version[][]
}

/** Deployments as columns (a million objects would cost ~10x the memory). */
export interface Deployments {
  count: number
  product: Uint16Array
  version: Uint32Array
  environment: Uint8Array
  status: Uint8Array
  /** Own time of its newest event: when it finished, or when it started if it has not. */
  at: Float64Array
  /** When the attempt that ended at `at` started (= `at` for one not finished). */
  begun: Float64Array
  /** A failed attempt before it (0: none): when that started and when it failed. */
  retryStart: Float64Array
  retryFailed: Float64Array
  by: Uint8Array
}

export const statusName = (code: number): DeploymentStatus => STATUS_CODES[code]!
export const isTerminalCode = (code: number) => code <= 2
export const person = (i: number) => (i < PEOPLE.length ? PEOPLE[i]! : BOTS[i - PEOPLE.length]!)
export const PEOPLE_AND_BOTS = PEOPLE.length + BOTS.length
export const source = (i: number) => SOURCES[i % SOURCES.length]!
export const reporter = (i: number) => REPORTERS[i % REPORTERS.length]!
export const isProduction = (environment: number) =>
  inferEnvironmentType(ENVIRONMENTS[environment]!) === 'production'

const hex = (rand: () => number, n: number) => {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16)
  return s
}

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
  // versions are built until a day and a bit before `now`, so every pipeline run (up to ~25 h
  // with retries) ends in the past
  const end = now - 26 * 3_600_000
  const names = AREAS.flatMap((a) => ROLES.map((r) => `${a}-${r}`))
  const products: Product[] = Array.from({ length: shape.products }, (_, i) => {
    const commitInBuild = rand() < 0.7
    return {
      name: i < names.length ? names[i]! : `service-${i}`,
      semver: rand() < SEMVER_SHARE,
      reportsStart: rand() < 0.6,
      commitInBuild,
      commitInPayload: !commitInBuild && rand() < 0.5,
    }
  })
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

  const n0 = shape.deployments
  const d: Deployments = {
    count: n0,
    product: new Uint16Array(n0),
    version: new Uint32Array(n0),
    environment: new Uint8Array(n0),
    status: new Uint8Array(n0),
    at: new Float64Array(n0),
    begun: new Float64Array(n0),
    retryStart: new Float64Array(n0),
    retryFailed: new Float64Array(n0),
    by: new Uint8Array(n0),
  }
  const shas = prng(seed + 100)
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
    const own: Version[] = []
    let [major, minor, patch] = [1, 0, 0]
    for (let v = 0; v < runs.length + 1; v++) {
      const at = start + ((v + rand() * 0.8) / (runs.length + 1)) * (end - start)
      const build = 1000 + v
      // commit to finished build: minutes, sometimes days (a branch merged long after its commit)
      const committedAt = at - (8 + 10 + rand() ** 3 * 4300) * MINUTE
      own.push({
        version: products[p]!.semver ? `${major}.${minor}.${patch}` : String(build),
        build,
        sha: hex(shas, 40),
        at,
        committedAt,
        live: false,
      })
      if (rand() < 0.003) [major, minor, patch] = [major + 1, 0, 0]
      else if (rand() < 0.05) [minor, patch] = [minor + 1, 0]
      else patch++
    }
    versions.push(own)
    const by = Math.floor(rand() * PEOPLE_AND_BOTS)
    runs.forEach((envs, v) => {
      let at = own[v]!.at
      envs.forEach((e, i) => {
        const last = i === envs.length - 1
        const roll = rand()
        const newest = v === runs.length - 1 && last
        const status = newest
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
        if (last && e === ENVIRONMENTS.length - 1 && status === 0) own[v]!.live = true
        // waiting for the pipeline's next stage, then (sometimes) a failed attempt and a retry
        let begun = at + (20 + rand() * 120) * MINUTE
        if (status === 0 && rand() < RETRY_SHARE) {
          d.retryStart[n] = Math.round(begun)
          d.retryFailed[n] = Math.round(begun + (1 + rand() * 7) * MINUTE)
          begun = d.retryFailed[n]! + (5 + rand() * 20) * MINUTE
        }
        const duration = (1 + rand() * 11) * MINUTE
        at = status <= 2 ? begun + duration : begun
        d.product[n] = p
        d.version[n] = v
        d.environment[n] = e
        d.status[n] = status
        d.begun[n] = Math.round(begun)
        d.at[n] = Math.round(at)
        d.by[n] = rand() < 0.7 ? by : Math.floor(rand() * PEOPLE_AND_BOTS)
        n++
      })
    })
  }
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
