/**
 * Request-reply between the gateway and the release service, the single writer of release data.
 * The gateway validates and authorizes; the release service applies the rules, writes, recomputes
 * progress in the same transaction, and answers.
 */
import { z } from 'zod'

import { UpdateEnvironment } from './catalog.ts'
import { ErrorBody, type ErrorCode, type FieldIssue } from './errors.ts'
import { CreateAnalysis, UpdateReleaseSettings } from './intelligence.ts'
import { AddReleaseVersion, CreateRelease, UpdateRelease } from './releases.ts'

const actor = { actor: z.string().min(1) }

export const RpcRequests = {
  'release.create': z.object({ ...actor, release: CreateRelease }),
  'release.update': z.object({ ...actor, id: z.string(), patch: UpdateRelease }),
  'release.add_version': z.object({ ...actor, id: z.string(), version: AddReleaseVersion }),
  'release.remove_version': z.object({ ...actor, id: z.string(), version_id: z.string() }),
  'environment.update': z.object({ ...actor, id: z.string(), patch: UpdateEnvironment }),
  'settings.update': z.object({ ...actor, patch: UpdateReleaseSettings }),
  'analysis.create': z.object({ ...actor, release_id: z.string(), analysis: CreateAnalysis }),
  'analysis.delete': z.object({ ...actor, release_id: z.string(), id: z.string() }),
} as const
export type RpcOperation = keyof typeof RpcRequests
export type RpcRequest<O extends RpcOperation> = z.input<(typeof RpcRequests)[O]>
export const RPC_OPERATIONS = Object.keys(RpcRequests) as RpcOperation[]

/** Every operation answers the id of what it changed, or an error in the API's one shape. */
export const RpcReply = z.union([
  z.object({ ok: z.literal(true), id: z.string() }),
  z.object({ ok: z.literal(false) }).extend(ErrorBody.shape),
])
export type RpcReply = z.infer<typeof RpcReply>

export const rpcError = (code: ErrorCode, message: string, details?: FieldIssue[]): RpcReply => ({
  ok: false,
  error: details ? { code, message, details } : { code, message },
})
