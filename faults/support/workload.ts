/**
 * The deployment events the fault suite sends: a few products moving through a few environments,
 * with every status and its aliases, own times that are often out of order, and SHAs that stay
 * the same for a version (so no 409s). The same board cells are hit again and again, so a
 * recomputation from the stored events has something to disagree with if anything went wrong.
 * A share of the events deploys the versions the suite's releases hold, so their progress moves.
 */
import { createHash } from 'node:crypto'

import type { DeploymentInput, IdMode, Ledger, Sent } from './ledger.ts'

const STATUSES = [
  'pending',
  'started',
  'in_progress',
  'success',
  'completed',
  'failed',
  'cancelled',
]
const ENVIRONMENTS = ['dev', 'staging', 'production-eu', 'production-us']

const sha = (product: string, version: string) =>
  createHash('sha1').update(`${product}@${version}`).digest('hex')

/** A small seeded generator, so a failing run's workload can be told again. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface WorkloadOptions {
  products?: number
  seed?: number
  /**
   * Versions that releases hold (faults/support/releases.ts): this share of the events deploys
   * one of them, so the releases' progress keeps moving under every fault.
   */
  releaseVersions?: ReadonlyArray<{ product: string; version: string }>
  releaseShare?: number
}

export class Workload {
  readonly #ledger: Ledger
  readonly #products: number
  readonly #rand: () => number
  readonly #versions = new Map<string, number>()
  readonly #releaseVersions: ReadonlyArray<{ product: string; version: string }>
  readonly #releaseShare: number

  constructor(ledger: Ledger, options: WorkloadOptions = {}) {
    this.#ledger = ledger
    this.#products = options.products ?? 8
    this.#rand = random(options.seed ?? 1)
    this.#releaseVersions = options.releaseVersions ?? []
    this.#releaseShare = options.releaseShare ?? 0.15
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.#rand() * xs.length)]!
  }

  /** The next event, recorded in the ledger as sent-to-be. */
  next(phase: string, mode: IdMode = this.#mode(), fields: Partial<DeploymentInput> = {}): Sent {
    const key = this.#ledger.nextKey(phase)
    let product: string
    let version: string
    if (this.#releaseVersions.length && this.#rand() < this.#releaseShare) {
      ;({ product, version } = this.pick(this.#releaseVersions))
    } else {
      product = `svc-${Math.floor(this.#rand() * this.#products)}`
      // a product's version moves on now and then; older versions keep getting late events
      const latest = this.#versions.get(product) ?? 0
      if (this.#rand() < 0.2) this.#versions.set(product, latest + 1)
      version = `1.${Math.max(0, latest - Math.floor(this.#rand() * 3))}.0`
    }
    const started = Date.now() - Math.floor(this.#rand() * 600_000)
    const input: DeploymentInput = {
      product_name: product,
      version,
      environment_name: this.pick(ENVIRONMENTS),
      status: this.pick(STATUSES),
      // the SHA of the version it names in the end (fields may name another)
      scm_sha: sha(fields.product_name ?? product, fields.version ?? version),
      deployed_by: 'faults',
      extra_metadata: { probe: key },
      ...(this.#rand() < 0.8
        ? {
            started_at: new Date(started).toISOString(),
            completed_at: new Date(started + Math.floor(this.#rand() * 300_000)).toISOString(),
          }
        : {}),
      ...(mode === 'event_id' ? { event_id: key } : {}),
      ...(mode === 'invoke' ? { invoke_id: `run-${key}` } : {}),
      ...fields,
    }
    return this.#ledger.add({
      key,
      phase,
      mode,
      id: mode === 'invoke' ? undefined : key,
      input,
      statuses: [],
      firstSentAt: 0,
      ackedAt: undefined,
      expect: 'stored',
    })
  }

  #mode(): IdMode {
    const r = this.#rand()
    return r < 0.7 ? 'event_id' : r < 0.85 ? 'header' : 'invoke'
  }
}
