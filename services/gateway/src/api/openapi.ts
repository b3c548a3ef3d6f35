/**
 * Pieces every route definition shares: the error responses, JSON bodies, auth, path ids.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi'
import {
  ErrorBody,
  ErrorCodes,
  UUID_RE,
  describeIssues,
  fieldIssues,
  type ErrorCode,
} from '@shiplog/contracts'
import { AppError, type AppEnv } from '@shiplog/kit'

/**
 * Names a shared schema as an OpenAPI component. Zod 4 copies methods onto each schema when it is
 * made, so a contracts schema made before @hono/zod-openapi extended zod lacks `.openapi`; a
 * copy made now has it.
 */
export function named<T extends z.ZodType>(schema: T, name: string): T {
  const usable =
    typeof (schema as { openapi?: unknown }).openapi === 'function'
      ? schema
      : new (schema.constructor as new (def: unknown) => T)(schema.def)
  return usable.openapi(name)
}

export const ErrorSchema = named(ErrorBody, 'Error')

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed JSON',
  401: 'Missing, invalid or revoked token',
  403: 'The token lacks the scope',
  404: 'Not found',
  409: 'Conflicts with the rules (the error code says which)',
  422: 'Invalid input; every offending field is named',
  503: 'A dependency is unavailable; retry after Retry-After seconds',
}

/** Error responses a route can give, all in the one error shape. */
export function errors(...statuses: Array<keyof typeof STATUS_TEXT>) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: STATUS_TEXT[s]!, content: { 'application/json': { schema: ErrorSchema } } },
    ])
  )
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})

export const security = [{ bearer: [] }]

export const IdParams = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    example: '01a2007e-16e3-73d2-85c4-f207c5a1390d',
  }),
})

/** Ids are UUIDs; anything else names nothing, so it is a 404 rather than a database error. */
export function uuidOr404(id: string, what: string): string {
  if (!UUID_RE.test(id)) throw new AppError('not_found', `no ${what} ${id}`)
  return id.toLowerCase()
}

export const notFound = (what: string, id: string) => new AppError('not_found', `no ${what} ${id}`)

export const Limit = (fallback: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from 1 to ${max}` })
    .int({ error: `must be a whole number from 1 to ${max}` })
    .min(1, { error: `must be a whole number from 1 to ${max}` })
    .max(max, { error: `must be a whole number from 1 to ${max}` })
    .default(fallback)
    .openapi({ example: fallback })

/** A comma-separated list of allowed values, e.g. `status=draft,in_progress`. */
export const ListOf = <T extends string>(values: readonly T[], name: string) =>
  z
    .string()
    .transform((s, ctx) => {
      const items = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
      const bad = items.filter((x) => !values.includes(x as T))
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${name} ${bad.join(', ')}; use ${values.join(', ')}`,
        })
        return z.NEVER
      }
      return items as T[]
    })
    .openapi({ type: 'string', example: values.slice(0, 2).join(',') })

export type { ErrorCode }
export { ErrorCodes }

/** Every API router validates with one hook: a 422 in the one error shape, every field named. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const details = fieldIssues(result.error)
        throw new AppError(
          'validation_failed',
          `invalid ${result.target}: ${describeIssues(details)}`,
          details
        )
      }
    },
  })
}

export const NameOrId = (what: string) =>
  z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: `${what} name or id` })

/**
 * Drops the keys whose value is undefined, so optional query parameters pass on as absent
 * properties (the read functions' options are exact optional types).
 */
export function defined<T extends Record<string, unknown>>(
  o: T
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never
}
