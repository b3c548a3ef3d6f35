/**
 * An HTTP client for ingest, on a pool of keep-alive connections (undici): the load generators'
 * way in. It only ever talks to loopback: load and fault tests must never leave the machine.
 */
import { Readable } from 'node:stream'

import { Pool } from 'undici'

export interface Answer {
  /** The HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  status: number
  /** The parsed JSON body, when asked for and there was one. */
  body?: unknown
  /** Why there was no answer. */
  error?: string
  /** The answer's Retry-After, in ms. */
  retryAfterMs?: number
  /** From sending the request to the end of the answer. */
  ms: number
}

export interface IngestClientOptions {
  token: string
  /** Concurrent connections; open-loop generators need enough for their rate × latency. */
  connections?: number
  /** Give up on an answer after this long (counted as no answer). */
  timeoutMs?: number
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

export function assertLoopback(url: string): void {
  const { hostname } = new URL(url)
  if (!LOOPBACK.test(hostname)) {
    throw new Error(`refusing to send load to ${hostname}: load generators target loopback only`)
  }
}

export class IngestClient {
  readonly #pool: Pool
  readonly #auth: string

  constructor(baseUrl: string, options: IngestClientOptions) {
    assertLoopback(baseUrl)
    const timeout = options.timeoutMs ?? 30_000
    this.#pool = new Pool(baseUrl, {
      connections: options.connections ?? 32,
      pipelining: 1,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 30_000,
    })
    this.#auth = `Bearer ${options.token}`
  }

  /**
   * POSTs a JSON body (already serialized: generators build it once). `parse: false` drops the
   * answer's body unread, which keeps a benchmark's generator light.
   */
  async post(
    path: string,
    body: string,
    { headers = {}, parse = true }: { headers?: Record<string, string>; parse?: boolean } = {}
  ): Promise<Answer> {
    const started = performance.now()
    try {
      const res = await this.#pool.request({
        path,
        method: 'POST',
        headers: { authorization: this.#auth, 'content-type': 'application/json', ...headers },
        body,
      })
      const retryAfter = Number(res.headers['retry-after'])
      const extra = Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}
      if (!parse) {
        await res.body.dump()
        return { status: res.statusCode, ms: performance.now() - started, ...extra }
      }
      const text = await res.body.text()
      let parsed: unknown
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {
        parsed = text
      }
      return { status: res.statusCode, body: parsed, ms: performance.now() - started, ...extra }
    } catch (err) {
      const code = (err as { code?: string }).code
      return {
        status: 0,
        error: code ?? (err as Error).message,
        ms: performance.now() - started,
      }
    }
  }

  /** Sends a raw request (any method, headers and body) and reads the answer whole. */
  async raw(
    path: string,
    init: {
      method?: 'GET' | 'POST'
      headers?: Record<string, string>
      body?: string | Buffer | Iterable<Buffer>
    }
  ): Promise<Answer> {
    const started = performance.now()
    try {
      const res = await this.#pool.request({
        path,
        method: init.method ?? 'POST',
        headers: init.headers ?? {},
        // an iterable of chunks goes out chunked, with no Content-Length
        body:
          init.body === undefined
            ? null
            : typeof init.body === 'string' || Buffer.isBuffer(init.body)
              ? init.body
              : Readable.from(init.body),
      })
      const text = await res.body.text()
      let parsed: unknown
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {
        parsed = text
      }
      return { status: res.statusCode, body: parsed, ms: performance.now() - started }
    } catch (err) {
      const code = (err as { code?: string }).code
      return { status: 0, error: code ?? (err as Error).message, ms: performance.now() - started }
    }
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}
