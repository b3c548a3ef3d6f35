/**
 * Release intelligence: automated releases and their settings, the release report, analyses,
 * deployment charts and DORA metrics. Amplitude's release ideas, brought to deployments: its
 * "Version user property" is the version a deployment reports, its "platform" an environment.
 */
import { z } from 'zod'

import { FreeText, Label } from './events.ts'
import { Release } from './releases.ts'
import { STATUSES } from './status.ts'

// A semantic version: major.minor with optional .patch, optional "v", optional pre-release and
// build suffixes. "12345" or a commit SHA is not one.
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/

export const isSemver = (version: string): boolean => SEMVER.test(version)

/** Names that mark a product or environment as not production, by default. */
export const DEFAULT_EXCLUDE_PATTERNS = [
  'test',
  'dev',
  'development',
  'staging',
  'sandbox',
  'qa',
] as const

/**
 * Whether a name is excluded by one of the patterns. A pattern with `*` is a glob over the whole
 * name ("*-preview"); any other pattern is a word of the name ("test" excludes "payment-test" and
 * "Test Env", not "latest"). Case is ignored.
 */
export function isExcluded(name: string, patterns: readonly string[]): boolean {
  const lower = name.toLowerCase()
  const words = lower.split(/[^a-z0-9]+/).filter(Boolean)
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase().trim()
    if (!p) return false
    if (!p.includes('*')) return words.includes(p)
    const glob = new RegExp(
      `^${p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`
    )
    return glob.test(lower)
  })
}

export const ReleaseSettings = z.object({
  /** Create a release when a new semantic version first reaches production. */
  auto_detect: z.boolean(),
  /** Show automatically created releases on charts. */
  auto_annotate: z.boolean(),
  /** Products and environments whose names match are never taken for production releases. */
  exclude_patterns: z.array(z.string()),
  /** An event whose own time is older than this when it arrives is a backfill. */
  backfill_horizon_hours: z.number().int(),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
})
export type ReleaseSettings = z.infer<typeof ReleaseSettings>

export const DEFAULT_RELEASE_SETTINGS = {
  auto_detect: true,
  auto_annotate: true,
  exclude_patterns: [...DEFAULT_EXCLUDE_PATTERNS],
  backfill_horizon_hours: 24,
}

export const UpdateReleaseSettings = z
  .strictObject({
    auto_detect: z.boolean({ error: 'must be true or false' }).optional(),
    auto_annotate: z.boolean({ error: 'must be true or false' }).optional(),
    exclude_patterns: z
      .array(
        z
          .string()
          .trim()
          .min(1, { error: 'patterns must not be empty' })
          .max(100, { error: 'patterns must be at most 100 characters' }),
        { error: 'must be a list of words or globs' }
      )
      .max(100, { error: 'must list at most 100 patterns' })
      .optional(),
    backfill_horizon_hours: z
      .number({ error: 'must be a number of hours' })
      .int({ error: 'must be a whole number of hours' })
      .min(1, { error: 'must be at least 1 hour' })
      .max(24 * 365, { error: 'must be at most a year' })
      .optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), {
    error:
      'send at least one of auto_detect, auto_annotate, exclude_patterns, backfill_horizon_hours',
  })
export type UpdateReleaseSettings = z.output<typeof UpdateReleaseSettings>

/** Whether an event is a backfill: marked so, or already older than the horizon on arrival. */
export function isBackfill(
  event: { backfill?: boolean | undefined; received_at: string },
  eventTime: string,
  horizonHours: number
): boolean {
  if (event.backfill) return true
  return Date.parse(event.received_at) - Date.parse(eventTime) > horizonHours * 3_600_000
}

export const CreateAnalysis = z.strictObject({
  title: Label(200),
  url: z
    .string()
    .max(2048, { error: 'must be at most 2048 characters' })
    .refine((s) => /^https?:\/\/\S+$/i.test(s) && URL.canParse(s), {
      error: 'must be an http(s) URL',
    }),
  note: FreeText(2000).nullish(),
})
export type CreateAnalysis = z.output<typeof CreateAnalysis>

export const Analysis = z.object({
  id: z.string(),
  release_id: z.string(),
  title: z.string(),
  url: z.string(),
  note: z.string().nullable(),
  created_at: z.string(),
  created_by: z.string().nullable(),
})
export type Analysis = z.infer<typeof Analysis>

export const TimelineRelease = Release.extend({
  /** product@version of each of its versions. */
  products: z.array(
    z.object({ product_id: z.string(), product_name: z.string(), version: z.string() })
  ),
})
export type TimelineRelease = z.infer<typeof TimelineRelease>

const Duration = z.number().nullable().describe('seconds')

export const ReleaseReport = z.object({
  release: Release,
  metrics: z.object({
    versions: z.array(
      z.object({
        product_id: z.string(),
        product_name: z.string(),
        version_id: z.string(),
        version: z.string(),
        /** Targeted environments the version runs in (deployed successfully). */
        reached: z.number().int(),
        targeted: z.number().int(),
        percent: z.number(),
        first_deployed_at: z.string().nullable(),
        first_production_at: z.string().nullable(),
        /** From its first deployment anywhere to its first successful production deployment. */
        time_to_production: Duration,
        failures: z.number().int(),
      })
    ),
    reached: z.number().int(),
    targeted: z.number().int(),
    percent: z.number(),
    first_deployed_at: z.string().nullable(),
    first_production_at: z.string().nullable(),
    time_to_production: Duration,
    /** Failed deployments of the release's versions, by environment. */
    failures: z.array(
      z.object({
        environment_id: z.string(),
        environment_name: z.string(),
        count: z.number().int(),
      })
    ),
  }),
  /** Seen by Shiplog for the first time since the previous release of the same products. */
  new: z.object({
    since: z.string().nullable(),
    previous_release: z.object({ id: z.string(), name: z.string() }).nullable(),
    products: z.array(z.object({ id: z.string(), name: z.string(), first_seen_at: z.string() })),
    environments: z.array(
      z.object({ id: z.string(), name: z.string(), first_seen_at: z.string() })
    ),
    versions: z.array(
      z.object({
        id: z.string(),
        product_name: z.string(),
        version: z.string(),
        first_seen_at: z.string(),
      })
    ),
  }),
  /** Per day from the release date, at most 30 days: targeted cells running its versions. */
  adoption: z.object({
    targeted: z.number().int(),
    days: z.array(z.object({ date: z.string(), cells: z.number().int(), percent: z.number() })),
  }),
  analyses: z.array(Analysis),
})
export type ReleaseReport = z.infer<typeof ReleaseReport>

export const DeploymentStats = z.object({
  bucket: z.enum(['day', 'hour']),
  from: z.string(),
  to: z.string(),
  buckets: z.array(
    z.object({
      at: z.string(),
      counts: z.record(z.enum(STATUSES), z.number().int()),
      total: z.number().int(),
    })
  ),
  /** Releases to mark on the chart (visible ones in the range). */
  markers: z.array(
    z.object({ id: z.string(), name: z.string(), at: z.string(), automatic: z.boolean() })
  ),
})
export type DeploymentStats = z.infer<typeof DeploymentStats>

export const DoraFigures = z.object({
  deployments: z.number().int(),
  deployment_days: z.number().int(),
  days: z.number().int(),
  deployments_per_day: z.number(),
  lead_time: z.object({ median: Duration, p90: Duration, samples: z.number().int() }),
  change_failure_rate: z.number().nullable(),
  failed_deployments: z.number().int(),
  recovery_time: z.object({
    median: Duration,
    p90: Duration,
    recovered: z.number().int(),
    unrecovered: z.number().int(),
  }),
})
export type DoraFigures = z.infer<typeof DoraFigures>

export const DoraReport = z.object({
  from: z.string(),
  to: z.string(),
  environments: z.array(z.object({ id: z.string(), name: z.string() })),
  overall: DoraFigures,
  products: z.array(DoraFigures.extend({ product_id: z.string(), product_name: z.string() })),
  definitions: z.record(z.string(), z.string()),
})
export type DoraReport = z.infer<typeof DoraReport>

/** How each DORA figure is computed, shown next to it. */
export const DORA_DEFINITIONS = {
  deployment_frequency:
    'Successful deployments to production-type environments (or the chosen environment) in the period, and the days with at least one; deployments per day = deployments ÷ days in the period.',
  lead_time:
    'For each successful production deployment whose version has a commit time (scm_committed_at on an event, else the build start): deployment time − commit time. Median and 90th percentile.',
  change_failure_rate:
    'Failed production deployments ÷ (failed + successful) production deployments in the period.',
  recovery_time:
    'For each failed production deployment: time until the next successful production deployment of the same product. Failures with none yet are counted as unrecovered.',
} as const
