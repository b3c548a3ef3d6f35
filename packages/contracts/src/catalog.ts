/**
 * What the API answers about products, environments, versions and deployments, and the board:
 * the environment state matrix (which version of every product is where).
 */
import { z } from 'zod'

import { ENVIRONMENT_TYPES } from './environment.ts'
import { STATUSES } from './status.ts'

const Time = z.string()

export const Environment = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(ENVIRONMENT_TYPES),
  /** Explicit position on the board; null orders by type, then name. */
  display_order: z.number().int().nullable(),
  created_at: Time,
})
export type Environment = z.infer<typeof Environment>

export const UpdateEnvironment = z
  .strictObject({
    type: z
      .enum(ENVIRONMENT_TYPES, { error: `must be one of ${ENVIRONMENT_TYPES.join(', ')}` })
      .optional(),
    display_order: z.number().int().min(-1_000_000).max(1_000_000).nullable().optional(),
  })
  .refine((u) => u.type !== undefined || u.display_order !== undefined, {
    error: 'send type and/or display_order',
  })
export type UpdateEnvironment = z.infer<typeof UpdateEnvironment>

export const Deployment = z.object({
  id: z.string(),
  product_id: z.string(),
  product_name: z.string(),
  version_id: z.string(),
  version: z.string(),
  environment_id: z.string(),
  environment_name: z.string(),
  status: z.enum(STATUSES),
  /** The deployment's own time: its newest event's. */
  deployed_at: Time,
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  deployed_by: z.string().nullable(),
  deployed_by_email: z.string().nullable(),
  deployed_by_name: z.string().nullable(),
  source_system: z.string().nullable(),
  deploy_url: z.string().nullable(),
  build_url: z.string().nullable(),
  build_number: z.string().nullable(),
  last_event_id: z.string(),
  extra_metadata: z.record(z.string(), z.unknown()).nullable(),
})
export type Deployment = z.infer<typeof Deployment>

export const Version = z.object({
  id: z.string(),
  product_id: z.string(),
  product_name: z.string(),
  version: z.string(),
  scm_sha: z.string().nullable(),
  scm_repository: z.string().nullable(),
  scm_branch: z.string().nullable(),
  build_number: z.string().nullable(),
  build_url: z.string().nullable(),
  build_status: z.string().nullable(),
  built_by: z.string().nullable(),
  created_at: Time,
})
export type Version = z.infer<typeof Version>

export const Product = z.object({
  id: z.string(),
  name: z.string(),
  created_at: Time,
  versions_count: z.number().int(),
  last_deployed_at: Time.nullable(),
})
export type Product = z.infer<typeof Product>

/** What a board cell shows of a deployment. */
export const CellDeployment = z.object({
  id: z.string(),
  version_id: z.string(),
  version: z.string(),
  status: z.enum(STATUSES),
  deployed_at: Time,
  deployed_by: z.string().nullable(),
  deploy_url: z.string().nullable(),
  last_event_id: z.string(),
})
export type CellDeployment = z.infer<typeof CellDeployment>

export const BoardCell = z.object({
  product_id: z.string(),
  environment_id: z.string(),
  /** The newest deployment here, whatever its status. */
  current: CellDeployment,
  /** The newest successful one: what runs here while the current one failed or is in progress. */
  last_success: CellDeployment.nullable(),
  rev: z.number().int(),
})
export type BoardCell = z.infer<typeof BoardCell>

export const BoardProduct = z.object({
  id: z.string(),
  name: z.string(),
  /** The versions running (last successful) differ across its environments. */
  drift: z.boolean(),
  cells: z.array(BoardCell),
})
export type BoardProduct = z.infer<typeof BoardProduct>

export const Board = z.object({
  environments: z.array(Environment),
  products: z.array(BoardProduct),
})
export type Board = z.infer<typeof Board>

/** A page of a list: pass `next_cursor` back as `cursor` for the next one. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() })
