/**
 * Ingest's HTTP routes: Shiplog's own (`/v1/...`) and Versioner's (`/deployment-events/`,
 * `/build-events/`), so Versioner's CLI and GitHub Action work when pointed at Shiplog.
 *
 * Every request is checked in this order, and nothing is published unless all checks pass:
 * token (401/403), content type (415), size (413), JSON (400), schema (422), version SHA (409).
 * A 2xx means JetStream has stored the event.
 */
import {
  BuildEventInput,
  DeploymentEventInput,
  LIMITS,
  deploymentId,
  environmentId,
  eventTime,
  fieldIssues,
  productId,
  versionId,
  describeIssues,
  type ShiplogEvent,
} from '@shiplog/contracts'
import {
  AppError,
  errorBody,
  errorHandler,
  healthRoutes,
  notFound,
  requireScope,
  type AppEnv,
  type Logger,
  type ReadinessCheck,
  type TokenStore,
} from '@shiplog/kit'
import { Hono, type Context, type MiddlewareHandler } from 'hono'

import { limitBody } from './body-limit.ts'
import { normalize, type Receipt } from './normalize.ts'
import type { Published, Publisher } from './publisher.ts'

export interface IngestDeps {
  tokens: TokenStore
  publisher: Publisher
  log: Logger
  limits: { bodyBytes: number; batchBytes: number }
  readiness: Record<string, ReadinessCheck>
  now?: () => Date
}

type Kind = ShiplogEvent['kind']
const SCHEMAS = { deployment: DeploymentEventInput, build: BuildEventInput } as const

export function createIngestApp({
  tokens,
  publisher,
  log,
  limits,
  readiness,
  now = () => new Date(),
}: IngestDeps) {
  const app = new Hono<AppEnv>()
  app.onError(errorHandler(log))
  app.notFound(notFound)
  app.route('/', healthRoutes(readiness))

  const auth = requireScope(tokens, 'ingest')
  const compat: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set('versionerCompat', true)
    await next()
  }

  const receipt = (c: Context<AppEnv>): Receipt => ({
    receivedAt: now().toISOString(),
    reporter: c.get('principal').name,
    idempotencyKey: c.req.header('idempotency-key') || undefined,
  })

  /** Validates, publishes, and describes one event; throws AppError for the client. */
  async function accept(kind: Kind, raw: unknown, r: Receipt) {
    const parsed = SCHEMAS[kind].safeParse(raw)
    if (!parsed.success) {
      const details = fieldIssues(parsed.error)
      throw new AppError(
        'validation_failed',
        `invalid ${kind} event: ${describeIssues(details)}`,
        details
      )
    }
    const event = normalize(kind, parsed.data, r)
    const published = await publisher.publish(event)
    return { event, published }
  }

  const single = (kind: Kind, view: 'shiplog' | 'versioner') =>
    async function single(c: Context<AppEnv>) {
      const { event, published } = await accept(kind, await readJson(c), receipt(c))
      const body = view === 'shiplog' ? describe(event, published) : versionerView(event, published)
      return c.json(body, published.duplicate ? 200 : 202)
    }

  const batch = (kind: Kind) =>
    async function batch(c: Context<AppEnv>) {
      const body = await readJson(c)
      const items = Array.isArray(body) ? body : (body as { events?: unknown } | null)?.events
      if (!Array.isArray(items) || items.length === 0 || items.length > LIMITS.batchSize) {
        throw new AppError(
          'validation_failed',
          `send a JSON array of 1 to ${LIMITS.batchSize} events, or {"events": [...]}`,
          [{ field: 'events', message: `must be an array of 1 to ${LIMITS.batchSize} events` }]
        )
      }
      const r = { ...receipt(c), idempotencyKey: undefined }
      const results = await mapBounded(items, 64, async (raw, index) => {
        try {
          const { event, published } = await accept(kind, raw, r)
          return {
            index,
            http_status: published.duplicate ? 200 : 202,
            ...describe(event, published),
          }
        } catch (err) {
          if (!(err instanceof AppError)) throw err
          const details = err.details?.map((d) => ({ ...d, field: `events.${index}.${d.field}` }))
          return { index, http_status: err.status, ...errorBody(err.code, err.message, details) }
        }
      })
      const ok = results.filter((x) => x.http_status < 300)
      const summary = {
        accepted: results.filter((x) => x.http_status === 202).length,
        duplicates: results.filter((x) => x.http_status === 200).length,
        rejected: results.length - ok.length,
        results,
      }
      if (ok.length === results.length) return c.json(summary, summary.accepted ? 202 : 200)
      if (ok.length) return c.json(summary, 207)
      const retryable = results.some((x) => x.http_status === 503)
      if (retryable) c.header('Retry-After', '5')
      return c.json(summary, retryable ? 503 : 422)
    }

  const small = jsonBody(limits.bodyBytes)
  const large = jsonBody(limits.batchBytes)

  app.post('/v1/deployment-events', auth, small, single('deployment', 'shiplog'))
  app.post('/v1/build-events', auth, small, single('build', 'shiplog'))
  app.post('/v1/deployment-events/batch', auth, large, batch('deployment'))
  app.post('/v1/build-events/batch', auth, large, batch('build'))

  // Versioner's paths, with and without the trailing slash its clients use; `/version-events/`
  // is the build route's name before October 2025, still used by older GitHub Action tags.
  for (const path of ['/deployment-events/', '/deployment-events']) {
    app.post(path, compat, auth, small, single('deployment', 'versioner'))
  }
  for (const path of ['/build-events/', '/build-events', '/version-events/', '/version-events']) {
    app.post(path, compat, auth, small, single('build', 'versioner'))
  }

  return app
}

/** Content type (415) and size (413) checks, before any of the body is parsed. */
function jsonBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const limit = limitBody(maxBytes)
  return async function jsonBody(c, next) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new AppError(
        'unsupported_media_type',
        `send Content-Type: application/json (got "${type.slice(0, 100)}")`
      )
    }
    return limit(c, next)
  }
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text()
  try {
    return JSON.parse(text)
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : 'nesting too deep'
    throw new AppError('invalid_json', `request body is not valid JSON: ${reason}`)
  }
}

function ids(event: ShiplogEvent) {
  return {
    product_id: productId(event.product_name),
    version_id: versionId(event.product_name, event.version),
    ...(event.kind === 'deployment'
      ? {
          environment_id: environmentId(event.environment_name),
          deployment_id: deploymentId(event.product_name, event.version, event.environment_name),
        }
      : {}),
  }
}

/** Shiplog's answer: the event's identity, what it was normalized to, and where it went. */
function describe(event: ShiplogEvent, published: Published) {
  return {
    id: event.id,
    result: published.duplicate ? 'duplicate' : 'accepted',
    kind: event.kind,
    stream_seq: published.seq,
    ...ids(event),
    product_name: event.product_name,
    version: event.version,
    ...(event.kind === 'deployment' ? { environment_name: event.environment_name } : {}),
    status: event.status,
    occurred_at: eventTime(event),
    received_at: event.received_at,
  }
}

/** Versioner's answer shape (reference/versioner.md §2.2), which its CLI and Action read. */
function versionerView(event: ShiplogEvent, published: Published) {
  const common = {
    ...ids(event),
    event_id: event.id,
    product_name: event.product_name,
    version: event.version,
    status: event.status,
    duplicate: published.duplicate,
    created_at: event.received_at,
    started_at: event.started_at ?? null,
    completed_at: event.completed_at ?? null,
    source_system: event.source_system ?? null,
    build_number: event.build_number ?? null,
    extra_metadata: event.extra_metadata ?? {},
  }
  if (event.kind === 'build') {
    return {
      id: event.id,
      ...common,
      build_url: event.build_url ?? null,
      scm_sha: event.scm_sha ?? null,
    }
  }
  return {
    id: common.deployment_id,
    ...common,
    environment_name: event.environment_name,
    deployed_at: eventTime(event),
    deployed_by: event.deployed_by ?? null,
    deployed_by_email: event.deployed_by_email ?? null,
    deployed_by_name: event.deployed_by_name ?? null,
    deploy_url: event.deploy_url ?? null,
    soak_time_hours: null,
  }
}

async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
