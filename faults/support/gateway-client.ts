/**
 * The gateway's API as the suite's viewers and release editors use it: JSON over fetch (undici's
 * keep-alive pool, as a browser keeps its connection), with the system's token. Loopback only.
 */
import { assertLoopback } from './ingest-client.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export class GatewayClient {
  readonly url: string
  readonly #auth: string

  constructor(url: string, token: string) {
    assertLoopback(url)
    this.url = url
    this.#auth = `Bearer ${token}`
  }

  /** Calls `/api/v1<path>`; a non-2xx answer or no answer at all throws (status 0: no answer). */
  async call<T>(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: this.#auth,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new ApiError(0, `${method} ${path}: no answer (${(err as Error).message})`)
    }
    const text = await res.text()
    if (!res.ok) throw new ApiError(res.status, `${method} ${path}: ${res.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path)
  }
}
