/**
 * Identifiers. Products, environments, versions and deployments are named by CD tools, so their
 * ids are derived from those names (UUIDv5): ingest can answer with every id without asking
 * Postgres, and every service derives the same id for the same name.
 * Events and releases get time-ordered random ids (UUIDv7), which keep b-tree inserts local.
 */
import { v5, v7 } from 'uuid'

const NS = {
  product: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c01',
  environment: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c02',
  version: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c03',
  deployment: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c04',
  token: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c05',
  event: '6c1f3e0a-8d0b-4f57-9a51-1b5d0f2a7c06',
} as const

/**
 * The same names come back with every event, and each derivation is a SHA-1: remember the last
 * few thousand answers. (Cleared when full: cheaper than an LRU, and a miss only costs a hash.)
 */
function memo(namespace: string): (name: string) => string {
  const known = new Map<string, string>()
  return (name) => {
    let id = known.get(name)
    if (id === undefined) {
      if (known.size >= 20_000) known.clear()
      id = v5(name, namespace)
      known.set(name, id)
    }
    return id
  }
}

const productIds = memo(NS.product)
const environmentIds = memo(NS.environment)
const versionIds = memo(NS.version)
const deploymentIds = memo(NS.deployment)

export const productId = (product: string): string => productIds(product)

export const environmentId = (environment: string): string => environmentIds(environment)

// A product id has a fixed length, so "<id>:<version>" cannot collide across products.
export const versionId = (product: string, version: string): string =>
  versionIds(`${productId(product)}:${version}`)

export const deploymentId = (product: string, version: string, environment: string): string =>
  deploymentIds(`${versionId(product, version)}:${environmentId(environment)}`)

/** A token's id follows from its hash, so ensuring the bootstrap token twice is one record. */
export const tokenIdFromHash = (hash: string): string => v5(hash, NS.token)

/** An event id derived from content, for retries of one CI run's report that carry no key. */
export const eventIdFromContent = (content: string): string => v5(content, NS.event)

// v7's random bits come from a pool filled a few kilobytes at a time: asking the platform's
// generator for 16 bytes per id cost ingest more than hashing its token.
const pool = new Uint8Array(4096)
let used = pool.length

function random16(): Uint8Array {
  if (used + 16 > pool.length) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  used += 16
  return pool.subarray(used - 16, used)
}

/** A time-ordered random id (UUIDv7). */
export const newId = (): string => v7({ random: random16() })

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
