/**
 * One error shape for every Shiplog API: `{"error":{"code","message","details"?}}`.
 * Codes are stable and snake_case; clients branch on `code`, people read `message`.
 */
import { z } from 'zod'

/** Every error code, with the HTTP status it is answered with. */
export const ErrorCodes = {
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  version_sha_conflict: 409,
  version_already_in_release: 409,
  release_is_final: 409,
  invalid_status_transition: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const
export type ErrorCode = keyof typeof ErrorCodes

export const FieldIssue = z.object({
  /** Dotted path of the offending field, e.g. `extra_metadata` or `events.3.status`. */
  field: z.string(),
  message: z.string(),
})
export type FieldIssue = z.infer<typeof FieldIssue>

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ErrorCodes) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.array(FieldIssue).optional(),
  }),
})
export type ErrorBody = z.infer<typeof ErrorBody>

/** Turns zod issues into field issues: one per offending field, named by its path. */
export function fieldIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const name = (path: readonly PropertyKey[]) => [...prefix, ...path].map(String).join('.')
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: name([...issue.path, key]),
          message: 'is not a known field',
        }))
      : [{ field: name(issue.path) || '(body)', message: issue.message }]
  )
}

/** A one-line summary naming every offending field, for the error's `message`. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ')
}
