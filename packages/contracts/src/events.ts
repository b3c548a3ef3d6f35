/**
 * Deployment and build events: what a CD tool sends (the `*Input` schemas, Versioner's field
 * names) and what ingest publishes to JetStream for the release service (the normalized events).
 */
import { z } from 'zod'

import { STATUSES, STATUS_ALIASES, normalizeStatus } from './status.ts'

export const LIMITS = {
  nameLength: 255,
  textLength: 2048,
  metadataBytes: 100 * 1024,
  metadataDepth: 32,
  batchSize: 1000,
} as const

// Postgres cannot store NUL in text or jsonb; rejecting it here keeps such an event from ever
// reaching the consumer as a poison message.
const hasNul = (s: string) => s.includes('\u0000')
// Nor a lone UTF-16 surrogate (JSON's "\ud800" parses to one): jsonb refuses it and text turns
// it into U+FFFD. Accepted, such an event would be answered 202 and then dead-lettered.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const wellFormed = (s: string) => !LONE_SURROGATE.test(s)
const WELL_FORMED = { error: 'must be valid Unicode (it contains a lone surrogate)' } as const
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** Absent, `null` and omitted all mean "not given" (Go omits, Python sends null). */
const optional = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((v): z.output<T> | undefined => v ?? undefined)
    .optional()

const stringError = (iss: { input: unknown }) =>
  iss.input === undefined ? 'is required' : `must be a string, not ${jsonType(iss.input)}`
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

/** A name CD tools use as an identity: product, version, environment. */
const Name = z
  .string({ error: stringError })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(LIMITS.nameLength, { error: `must be at most ${LIMITS.nameLength} characters` })
  .refine((s) => !CONTROL.test(s), { error: 'must not contain control characters' })
  .refine(wellFormed, WELL_FORMED)

const Text = (max: number = LIMITS.nameLength) =>
  z
    .string({ error: stringError })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !hasNul(s), { error: 'must not contain NUL characters' })
    .refine(wellFormed, WELL_FORMED)

/** A short name people give (a release, a token, an analysis): one line, storable as it is. */
export const Label = (max: number) =>
  z
    .string({ error: stringError })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !CONTROL.test(s), { error: 'must not contain control characters' })
    .refine(wellFormed, WELL_FORMED)

/** Free text people write (a description, a note): any lines, storable as it is. */
export const FreeText = (max: number) =>
  z
    .string({ error: stringError })
    .max(max, { error: `must be at most ${max.toLocaleString('en')} characters` })
    .refine((s) => !hasNul(s), { error: 'must not contain NUL characters' })
    .refine(wellFormed, WELL_FORMED)

const HttpUrl = z
  .string()
  .max(LIMITS.textLength, { error: `must be at most ${LIMITS.textLength} characters` })
  // Only web links: these are rendered as links on the board, so `javascript:` must never pass.
  .refine((s) => /^https?:\/\/[^\s]+$/i.test(s) && URL.canParse(s), {
    error: 'must be an http(s) URL',
  })
  .refine(wellFormed, WELL_FORMED)

/** RFC 3339 with an offset; stored normalized to UTC milliseconds. */
export const Timestamp = z.iso
  .datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z' })
  .transform((s, ctx) => {
    const utc = new Date(s).toISOString()
    // Postgres has no year 0 ("0000-…" fails to insert), and toISOString writes years past 9999
    // as "+010000-…", which Postgres refuses too (and which no longer sorts as text).
    if (!/^\d{4}-/.test(utc) || utc.startsWith('0000-')) {
      ctx.addIssue({ code: 'custom', message: 'must fall within the years 0001 to 9999 (UTC)' })
      return z.NEVER
    }
    return utc
  })

/** CI systems send build numbers as strings or numbers. */
const BuildNumber = z.union([Text(), z.number().int().nonnegative()]).transform(String)

const StatusInput = z.string({ error: stringError }).transform((raw, ctx) => {
  const status = normalizeStatus(raw)
  if (!status) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown status "${raw.slice(0, 64)}"; use one of ${STATUS_ALIASES.join(', ')}`,
    })
    return z.NEVER
  }
  return status
})

function jsonDepth(value: unknown, depth = 0): number {
  if (depth > LIMITS.metadataDepth) return depth
  if (value === null || typeof value !== 'object') return depth
  let max = depth + 1
  for (const v of Object.values(value)) max = Math.max(max, jsonDepth(v, depth + 1))
  return max
}

/** Keys and string values, at any depth (called once the depth is known to be bounded). */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !wellFormed(value)
  if (value === null || typeof value !== 'object') return false
  return Object.entries(value).some(([k, v]) => !wellFormed(k) || hasLoneSurrogate(v))
}

const utf8 = new TextEncoder()

export const Metadata = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
  .superRefine((value, ctx) => {
    // depth first: serializing a hostile, deeply nested object would exhaust the stack
    if (jsonDepth(value) > LIMITS.metadataDepth) {
      ctx.addIssue({ code: 'custom', message: `must nest at most ${LIMITS.metadataDepth} levels` })
      return
    }
    if (hasLoneSurrogate(value)) {
      ctx.addIssue({ code: 'custom', message: WELL_FORMED.error })
      return
    }
    const json = JSON.stringify(value)
    if (utf8.encode(json).length > LIMITS.metadataBytes) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${LIMITS.metadataBytes / 1024} KB` })
    } else if (json.includes('\\u0000')) {
      ctx.addIssue({ code: 'custom', message: 'must not contain NUL characters' })
    }
  })
export type Metadata = Record<string, unknown>

/** A client's idempotency key: the same key is the same event, however often it is sent. */
export const EventKey = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' })
  .regex(/^[A-Za-z0-9._:-]+$/, { error: 'may only contain letters, digits and . _ : -' })

// Fields common to deployment and build events, in their validated form.
const common = {
  product_name: Name,
  version: Name,
  // hex SHAs compare case-insensitively: "ABC123" and "abc123" are one commit
  scm_sha: optional(Text(128).transform((s) => (/^[0-9a-f]+$/i.test(s) ? s.toLowerCase() : s))),
  scm_repository: optional(Text()),
  scm_branch: optional(Text()),
  scm_committed_at: optional(Timestamp),
  build_number: optional(BuildNumber),
  build_url: optional(HttpUrl),
  source_system: optional(Text(64)),
  invoke_id: optional(Text()),
  started_at: optional(Timestamp),
  completed_at: optional(Timestamp),
  extra_metadata: optional(Metadata),
  /** Sent for historical events being imported: stored, but never taken for a new release. */
  backfill: optional(z.boolean()),
}

const deploymentFields = {
  ...common,
  environment_name: Name,
  deployed_by: optional(Text()),
  deployed_by_email: optional(Text()),
  deployed_by_name: optional(Text()),
  deploy_url: optional(HttpUrl),
}

const buildFields = {
  ...common,
  built_by: optional(Text()),
  built_by_email: optional(Text()),
  built_by_name: optional(Text()),
  error_message: optional(Text(LIMITS.textLength)),
  error_code: optional(Text()),
}

/** `POST /v1/deployment-events` (and Versioner's `POST /deployment-events/`). */
export const DeploymentEventInput = z.strictObject({
  ...deploymentFields,
  status: StatusInput,
  event_id: optional(EventKey),
  /** Versioner's deprecated preflight bypass; accepted so old CLIs keep working, ignored. */
  skip_preflight_checks: optional(z.boolean()),
})
export type DeploymentEventInput = z.output<typeof DeploymentEventInput>

/** `POST /v1/build-events` (and Versioner's `POST /build-events/`). */
export const BuildEventInput = z.strictObject({
  ...buildFields,
  status: StatusInput,
  event_id: optional(EventKey),
  /** The GitHub Action's name for `completed_at` on builds. */
  built_at: optional(Timestamp),
})
export type BuildEventInput = z.output<typeof BuildEventInput>

export const EventKind = { deployment: 'deployment', build: 'build' } as const
export type EventKind = (typeof EventKind)[keyof typeof EventKind]

// What ingest adds to every event before publishing it.
const envelope = {
  /** The event's identity: the client's key or one ingest made. Also the JetStream Nats-Msg-Id. */
  id: z.string().min(1).max(128),
  status: z.enum(STATUSES),
  received_at: Timestamp,
  /** Name of the token that reported the event, for the audit trail. */
  reporter: z.string().max(LIMITS.nameLength).nullable(),
}

// Published events are parsed leniently (unknown keys dropped), so an older release service
// keeps consuming what a newer ingest publishes.
export const DeploymentEvent = z.object({
  kind: z.literal('deployment'),
  ...deploymentFields,
  ...envelope,
})
export type DeploymentEvent = z.output<typeof DeploymentEvent>

export const BuildEvent = z.object({
  kind: z.literal('build'),
  ...buildFields,
  ...envelope,
})
export type BuildEvent = z.output<typeof BuildEvent>

export const ShiplogEvent = z.discriminatedUnion('kind', [DeploymentEvent, BuildEvent])
export type ShiplogEvent = z.output<typeof ShiplogEvent>

/**
 * The event's own time: when the CD tool says it happened, never later than when it reached us
 * (a client clock running ahead must not pin a deployment as "newest" forever).
 * Terminal statuses happen at completion, the others at the start.
 */
export function eventTime(event: ShiplogEvent): string {
  const own =
    event.status === 'pending' || event.status === 'started' ? event.started_at : event.completed_at
  if (!own) return event.received_at
  return own < event.received_at ? own : event.received_at
}
