/**
 * The HTTP API client: `/api/v1` with the person's token, and every failure turned into an
 * `ApiError` that says in words what went wrong (the API's own message when it sent one).
 */
import type { FieldIssue } from '@shiplog/contracts'

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    /** The API's stable error code (`not_found`, `validation_failed`…), or `network`. */
    readonly code: string,
    message: string,
    readonly details: readonly FieldIssue[] = []
  ) {
    super(message)
  }
}

export interface Api {
  get<T>(path: string): Promise<T>
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>
}

export interface ApiOptions {
  /** The token to send, if any (read at every call, so a newly pasted one applies at once). */
  token: () => string | null
  /** Told of every 401, so the page can ask for a token. */
  unauthorized?: (error: ApiError) => void
  fetch?: typeof fetch
  base?: string
}

/** Whether a failed read is worth retrying: the server was unreachable or failing, not refusing. */
export const isTransient = (error: unknown): boolean =>
  !(error instanceof ApiError) || error.status === 0 || error.status >= 500 || error.status === 429

export function createApi(options: ApiOptions): Api {
  const base = options.base ?? '/api/v1'
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = options.token()
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await doFetch(base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    } catch (err) {
      throw new ApiError(
        0,
        'network',
        `Cannot reach the Shiplog API (${(err as Error).message || 'network error'}).`
      )
    }
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (res.ok) return parsed as T
    const error = toError(res.status, parsed, text)
    if (res.status === 401) options.unauthorized?.(error)
    throw error
  }

  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  }
}

function toError(status: number, body: unknown, text: string): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new ApiError(
      status,
      e.code,
      e.message,
      Array.isArray(e.details) ? (e.details as FieldIssue[]) : []
    )
  }
  // not Shiplog's error shape: a proxy or a server that is starting; say what we got
  const snippet = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160)
  return new ApiError(
    status,
    status >= 500 ? 'unavailable' : 'http_error',
    `The server answered ${status}${snippet ? `: ${snippet}` : ''}.`
  )
}
