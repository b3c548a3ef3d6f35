/**
 * Releases: one version per product that should reach production together (the seed's model).
 * Shiplog tracks a release's progress; it never deploys anything.
 */
import { z } from 'zod'

import { FreeText, Label, Metadata, Timestamp } from './events.ts'
import { RELEASE_STATUSES } from './lifecycle.ts'

const Name = Label(200)
const Description = FreeText(10_000)

/** A version is named by its id, or by its product and version string. */
export const AddReleaseVersion = z.union(
  [
    z.strictObject({ version_id: z.uuid({ error: 'must be a version id (UUID)' }) }),
    z.strictObject({
      product_name: z.string().min(1).max(255),
      version: z.string().min(1).max(255),
    }),
  ],
  { error: 'send {"version_id"} or {"product_name","version"}' }
)
export type AddReleaseVersion = z.output<typeof AddReleaseVersion>

/** Environments a release targets, by name or id; none given means all of them. */
const TargetEnvironments = z
  .array(z.string().min(1).max(255), { error: 'must be a list of environment names or ids' })
  .min(1, { error: 'give at least one environment, or leave it out for all' })
  .max(100, { error: 'must list at most 100 environments' })

const datesInOrder = (r: {
  release_date?: string | null | undefined
  end_date?: string | null | undefined
}) => !r.release_date || !r.end_date || r.end_date >= r.release_date

export const CreateRelease = z
  .strictObject({
    name: Name,
    description: Description.nullish(),
    status: z
      .enum(['draft', 'in_progress'], { error: 'a new release is draft (default) or in_progress' })
      .default('draft'),
    extra_metadata: Metadata.nullish(),
    /** When it shipped (charts and the timeline place it here); default: when it was created. */
    release_date: Timestamp.nullish(),
    /** When its rollout ended. */
    end_date: Timestamp.nullish(),
    environments: TargetEnvironments.nullish(),
    visible_on_charts: z.boolean({ error: 'must be true or false' }).default(true),
    /** Shortcut for a single-product release: its version, added at once. */
    version: AddReleaseVersion.optional(),
  })
  .refine(datesInOrder, { error: 'end_date must not be before release_date', path: ['end_date'] })
export type CreateRelease = z.output<typeof CreateRelease>

export const UpdateRelease = z
  .strictObject({
    name: Name.optional(),
    description: Description.nullable().optional(),
    status: z.enum(RELEASE_STATUSES).optional(),
    extra_metadata: Metadata.nullable().optional(),
    release_date: Timestamp.nullable().optional(),
    end_date: Timestamp.nullable().optional(),
    environments: TargetEnvironments.nullable().optional(),
    visible_on_charts: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), {
    error:
      'send at least one of name, description, status, extra_metadata, release_date, end_date, environments, visible_on_charts',
  })
  .refine(datesInOrder, { error: 'end_date must not be before release_date', path: ['end_date'] })
export type UpdateRelease = z.output<typeof UpdateRelease>

/** A cell of the progress matrix, drawn ✅ deployed, ❌ not deployed, 🔴 failed, 🟡 in progress. */
export const CellState = {
  deployed: 'deployed',
  failed: 'failed',
  in_progress: 'in_progress',
  not_deployed: 'not_deployed',
} as const
export type CellState = (typeof CellState)[keyof typeof CellState]
export const CELL_STATES = Object.values(CellState)

export const ProgressCell = z.object({
  environment_id: z.string(),
  state: z.enum(CELL_STATES),
  /** The deployment's own status (an aborted deployment is not_deployed). */
  status: z.string().nullable(),
  deployment_id: z.string().nullable(),
  at: z.string().nullable(),
  deployed_by: z.string().nullable(),
})
export type ProgressCell = z.infer<typeof ProgressCell>

export const ProgressRow = z.object({
  product_id: z.string(),
  product_name: z.string(),
  version_id: z.string(),
  version: z.string(),
  /** Deployed in every production-type environment its product runs in (and at least one). */
  in_production: z.boolean(),
  cells: z.array(ProgressCell),
})
export type ProgressRow = z.infer<typeof ProgressRow>

export const ProgressEnvironment = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  /** How many of the release's versions are deployed here. */
  deployed: z.number().int(),
  failed: z.number().int(),
  in_progress: z.number().int(),
})

export const Progress = z.object({
  environments: z.array(ProgressEnvironment),
  rows: z.array(ProgressRow),
  production: z.object({
    /** Versions that have reached production. */
    reached: z.number().int(),
    total: z.number().int(),
    fraction: z.number(),
    all: z.boolean(),
  }),
})
export type Progress = z.infer<typeof Progress>

export const ReleaseVersion = z.object({
  version_id: z.string(),
  product_id: z.string(),
  product_name: z.string(),
  version: z.string(),
  scm_sha: z.string().nullable(),
  added_at: z.string(),
  added_by: z.string().nullable(),
})
export type ReleaseVersion = z.infer<typeof ReleaseVersion>

export const Release = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.enum(RELEASE_STATUSES),
  extra_metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string().nullable(),
  versions_count: z.number().int(),
  production: Progress.shape.production,
  /** Created by Shiplog when a new semantic version first reached production. */
  automatic: z.boolean(),
  release_date: z.string().nullable(),
  end_date: z.string().nullable(),
  /** Where it sits on the timeline and on charts: release_date, else when it was created. */
  timeline_at: z.string(),
  /** The environments it targets; null means all. */
  environments: z.array(z.object({ id: z.string(), name: z.string() })).nullable(),
  visible_on_charts: z.boolean(),
  /** Increases with every change; a client keeps the copy with the highest rev. */
  rev: z.number().int(),
})
export type Release = z.infer<typeof Release>

export const ReleaseDetail = Release.extend({
  versions: z.array(ReleaseVersion),
  progress: Progress,
})
export type ReleaseDetail = z.infer<typeof ReleaseDetail>

export const HistoryAction = {
  created: 'created',
  edited: 'edited',
  status_changed: 'status_changed',
  version_added: 'version_added',
  version_removed: 'version_removed',
} as const
export type HistoryAction = (typeof HistoryAction)[keyof typeof HistoryAction]

export const HistoryEntry = z.object({
  id: z.number().int(),
  release_id: z.string(),
  at: z.string(),
  /** The token's name, or "shiplog" for changes Shiplog made by itself. */
  actor: z.string(),
  action: z.enum(Object.values(HistoryAction) as [HistoryAction, ...HistoryAction[]]),
  changes: z.record(z.string(), z.unknown()),
})
export type HistoryEntry = z.infer<typeof HistoryEntry>
