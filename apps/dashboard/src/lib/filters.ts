/**
 * Page filters as they live in the URL (so a bookmark restores the view) and as the API takes
 * them. Days are UTC calendar days, as the API buckets them: `from=2026-01-20&to=2026-01-26`
 * covers 20 Jan 00:00 UTC to the end of 26 Jan. Anything malformed in the URL is ignored, never
 * sent: a hand-edited address shows the unfiltered view rather than an error.
 */
import { RELEASE_STATUSES, type ReleaseStatus } from '@shiplog/contracts'

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000

/** A `YYYY-MM-DD` that names a real day, or null. */
export function readDay(value: string | null): string | null {
  if (!value || !DAY_RE.test(value)) return null
  const t = Date.parse(`${value}T00:00:00Z`)
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value ? null : value
}

/** The first instant of a UTC day. */
export const dayStart = (day: string): string => `${day}T00:00:00.000Z`

/** The first instant after a UTC day (ranges the API takes end before it). */
export const dayAfter = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString()

/** Today, or `days` days from today, as a UTC day. */
export const today = (days = 0, now = Date.now()): string =>
  new Date(now + days * DAY_MS).toISOString().slice(0, 10)

const text = (value: string | null): string | null => value?.trim() || null

/** Builds a query string from the values that are set (`?a=1&b=2`, or '' for none). */
export function query(
  params: Record<string, string | number | boolean | null | undefined>
): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

export interface TimelineFilters {
  from: string | null
  to: string | null
  status: ReleaseStatus[]
  /** true: automatic only; false: manual only; null: both. */
  automatic: boolean | null
  /** A product's name (or id). */
  product: string | null
  /** A targeted environment's name (or id). */
  environment: string | null
}

export const NO_TIMELINE_FILTERS: TimelineFilters = {
  from: null,
  to: null,
  status: [],
  automatic: null,
  product: null,
  environment: null,
}

export function parseTimelineFilters(q: URLSearchParams): TimelineFilters {
  const statuses = new Set((q.get('status') ?? '').split(',').map((s) => s.trim()))
  const auto = q.get('auto')
  return {
    from: readDay(q.get('from')),
    to: readDay(q.get('to')),
    status: RELEASE_STATUSES.filter((s) => statuses.has(s)),
    automatic: auto === 'true' ? true : auto === 'false' ? false : null,
    product: text(q.get('product')),
    environment: text(q.get('env')),
  }
}

/** The URL's query for these filters (what `router.setQuery` takes). */
export function timelineParams(f: TimelineFilters): Record<string, string | null> {
  return {
    from: f.from,
    to: f.to,
    status: f.status.join(',') || null,
    auto: f.automatic === null ? null : String(f.automatic),
    product: f.product,
    env: f.environment,
  }
}

/** `GET /releases/timeline`'s query for these filters (the page and cursor added by the caller). */
export function timelineQuery(f: TimelineFilters, extra: Record<string, string | number> = {}) {
  return query({
    from: f.from && dayStart(f.from),
    // the timeline's `to` is inclusive: the last millisecond of the day
    to: f.to && new Date(Date.parse(dayAfter(f.to)) - 1).toISOString(),
    status: f.status.join(','),
    automatic: f.automatic,
    product: f.product,
    environment: f.environment,
    ...extra,
  })
}

export interface MetricsFilters {
  from: string | null
  to: string | null
  product: string | null
  environment: string | null
}

export function parseMetricsFilters(q: URLSearchParams): MetricsFilters {
  return {
    from: readDay(q.get('from')),
    to: readDay(q.get('to')),
    product: text(q.get('product')),
    environment: text(q.get('env')),
  }
}

/**
 * The metrics endpoints' query. `to` left out means "until now" on every read, so a chart of the
 * last 30 days keeps taking in today's deployments.
 */
export function metricsQuery(f: MetricsFilters, extra: Record<string, string> = {}): string {
  return query({
    from: f.from && dayStart(f.from),
    to: f.to && dayAfter(f.to),
    product: f.product,
    environment: f.environment,
    ...extra,
  })
}

export type Bucket = 'day' | 'hour'

export const parseBucket = (q: URLSearchParams): Bucket =>
  q.get('bucket') === 'hour' ? 'hour' : 'day'
