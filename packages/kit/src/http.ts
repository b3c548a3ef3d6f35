/**
 * HTTP pieces shared by ingest and gateway: the one error shape, bearer-token auth, health checks.
 */
import {
  ErrorCodes,
  type ErrorBody,
  type ErrorCode,
  type FieldIssue,
  type Scope,
} from '@shiplog/contracts'
import {
  Hono,
  type Context,
  type ErrorHandler,
  type MiddlewareHandler,
  type NotFoundHandler,
} from 'hono'
import { HTTPException } from 'hono/http-exception'

import type { Logger } from './log.ts'
import { hasScope, type Principal, type TokenStore } from './tokens.ts'

/** An expected failure, answered to the client with a stable code. */
export class AppError extends Error {
  override name = 'AppError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldIssue[],
    readonly headers?: Record<string, string>
  ) {
    super(message)
  }
  get status() {
    return ErrorCodes[this.code]
  }
}

export type AppEnv = {
  Variables: {
    principal: Principal
    /** Set on Versioner's paths: errors then also carry FastAPI's `detail`, which its clients print. */
    versionerCompat: boolean
  }
}

export function errorBody(code: ErrorCode, message: string, details?: FieldIssue[]): ErrorBody {
  return { error: details?.length ? { code, message, details } : { code, message } }
}

export function errorResponse(c: Context<AppEnv>, err: AppError): Response {
  const body: Record<string, unknown> = errorBody(err.code, err.message, err.details)
  if (c.get('versionerCompat')) {
    body.detail =
      err.code === 'validation_failed' && err.details
        ? err.details.map((d) => ({
            loc: ['body', ...d.field.split('.')],
            msg: d.message,
            type: 'value_error',
          }))
        : err.message
  }
  for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v)
  return c.json(body, err.status)
}

export function errorHandler(log: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    if (err instanceof AppError) return errorResponse(c, err)
    if (err instanceof HTTPException) {
      const code: ErrorCode =
        err.status === 413
          ? 'payload_too_large'
          : err.status === 415
            ? 'unsupported_media_type'
            : /json/i.test(err.message)
              ? 'invalid_json'
              : 'bad_request'
      return errorResponse(c, new AppError(code, err.message || 'bad request'))
    }
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error')
    return errorResponse(
      c,
      new AppError('internal', 'internal error; the server log has the details')
    )
  }
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError('not_found', `no route for ${c.req.method} ${c.req.path}`))

const AUTH_MESSAGES = {
  missing: 'missing bearer token: send "Authorization: Bearer <token>"',
  malformed: 'malformed Authorization header: send "Authorization: Bearer <token>"',
  unknown: 'invalid token',
  revoked: 'this token has been revoked',
} as const

/** Authenticates the bearer token and requires one scope. */
export function requireScope(tokens: TokenStore, scope: Scope): MiddlewareHandler<AppEnv> {
  return async function requireScope(c, next) {
    const result = await tokens.authenticate(c.req.header('authorization'))
    if (!result.ok) {
      throw new AppError('unauthorized', AUTH_MESSAGES[result.reason], undefined, {
        'WWW-Authenticate': 'Bearer realm="shiplog"',
      })
    }
    if (!hasScope(result.principal.scopes, scope)) {
      throw new AppError('forbidden', `token "${result.principal.name}" lacks the "${scope}" scope`)
    }
    c.set('principal', result.principal)
    await next()
  }
}

export type ReadinessCheck = () => boolean | Promise<boolean>

/** `GET /healthz`: the process is up. `GET /readyz`: every dependency it needs answers. */
export function healthRoutes(checks: Record<string, ReadinessCheck>) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const results = Object.fromEntries(
        await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            try {
              return [name, await check()] as const
            } catch {
              return [name, false] as const
            }
          })
        )
      )
      const ready = Object.values(results).every(Boolean)
      return c.json({ status: ready ? 'ready' : 'unavailable', checks: results }, ready ? 200 : 503)
    })
}
