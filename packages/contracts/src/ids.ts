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

export const productId = (product: string): string => v5(product, NS.product)

export const environmentId = (environment: string): string => v5(environment, NS.environment)

// A product id has a fixed length, so "<id>:<version>" cannot collide across products.
export const versionId = (product: string, version: string): string =>
  v5(`${productId(product)}:${version}`, NS.version)

export const deploymentId = (product: string, version: string, environment: string): string =>
  v5(`${versionId(product, version)}:${environmentId(environment)}`, NS.deployment)

/** A token's id follows from its hash, so ensuring the bootstrap token twice is one record. */
export const tokenIdFromHash = (hash: string): string => v5(hash, NS.token)

/** An event id derived from content, for retries of one CI run's report that carry no key. */
export const eventIdFromContent = (content: string): string => v5(content, NS.event)

export const newId = (): string => v7()

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
