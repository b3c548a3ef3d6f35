/**
 * The benchmark's events: a realistic deploy report (~330 bytes, the fields a CD tool sends),
 * every one with its own event_id. Fifty products in four environments, each product moving to a
 * new version every eight events (so a version's SHA is claimed now and then, not on every
 * event), statuses cycling through a deploy's life: the board cells are rewritten all the time.
 */
import { createHash } from 'node:crypto'

const ENVIRONMENTS = ['dev', 'staging', 'production-eu', 'production-us'] as const
const STATUSES = [
  'started',
  'success',
  'started',
  'success',
  'started',
  'failed',
  'queued',
  'success',
] as const
const PRODUCTS = 50

export interface BenchEvent {
  id: string
  body: Record<string, unknown>
}

/** The board cell event `i` of a source moves. */
export function cellOf(i: number) {
  const round = Math.floor(i / PRODUCTS)
  return {
    product_name: `service-${i % PRODUCTS}`,
    environment_name: ENVIRONMENTS[round % ENVIRONMENTS.length]!,
  }
}

/** Which event of the source named `run` an event id is (undefined: not one of its events). */
export function eventIndex(run: string, id: string): number | undefined {
  const prefix = `bench-${run}-`
  if (!id.startsWith(prefix)) return undefined
  const i = Number(id.slice(prefix.length))
  return Number.isInteger(i) ? i : undefined
}

export function eventSource(run: string) {
  let n = 0
  return (): BenchEvent => {
    const i = n++
    const product = i % PRODUCTS
    const round = Math.floor(i / PRODUCTS)
    const version = `2026.11.${Math.floor(round / 8)}-${product}`
    const id = `bench-${run}-${i}`
    const now = Date.now()
    return {
      id,
      body: {
        event_id: id,
        product_name: `service-${product}`,
        version,
        environment_name: ENVIRONMENTS[round % ENVIRONMENTS.length],
        status: STATUSES[round % STATUSES.length],
        deployed_by: 'ci-bot@example.com',
        scm_sha: createHash('sha1').update(`service-${product}@${version}`).digest('hex'),
        scm_branch: 'main',
        build_number: String(18_000 + round),
        deploy_url: `https://ci.example.com/pipelines/${18_000 + round}`,
        started_at: new Date(now - 90_000).toISOString(),
        completed_at: new Date(now).toISOString(),
      },
    }
  }
}

/**
 * What ingest publishes for such an event (its normalized form), for the raw JetStream baseline:
 * the same bytes per message as the pipeline carries.
 */
export function publishedForm(event: BenchEvent): string {
  const { event_id: _key, status, ...fields } = event.body
  return JSON.stringify({
    kind: 'deployment',
    ...fields,
    status: status === 'success' ? 'completed' : status,
    id: event.id,
    received_at: new Date().toISOString(),
    reporter: 'bootstrap',
  })
}
