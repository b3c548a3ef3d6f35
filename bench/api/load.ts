/**
 * The HTTP load generator: a fixed set of keep-alive connections (undici Pool) to one origin on
 * loopback, driven two ways, as the benchmark rules ask:
 *  - closed loop: each client sends its next request when the previous answer is read, which
 *    finds the ceiling (req/s) but hides queueing (coordinated omission);
 *  - open loop: requests are due at a fixed rate whatever happens, and each latency is measured
 *    from when it was due, so waiting for a busy connection counts.
 * Latency is to the last byte of the body. Both modes are bounded in time and in requests.
 */
import { Pool } from 'undici'

export interface Target {
  name: string
  /** The path of each request (may vary, e.g. a random release id). */
  path: () => string
}

export interface Sample {
  /** Latencies in ms, in completion order. */
  latencies: Float64Array
  count: number
  errors: number
  /** The first non-2xx answer or error, to show what went wrong. */
  firstError: string | undefined
  bytes: number
  seconds: number
  /** Requests never sent because too many were already waiting (open loop only). */
  dropped: number
}

export class Load {
  readonly pool: Pool
  constructor(
    origin: string,
    readonly connections: number,
    private readonly headers: Record<string, string>
  ) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    })
  }

  private async once(path: string): Promise<{ bytes: number; error?: string }> {
    try {
      const res = await this.pool.request({ method: 'GET', path, headers: this.headers })
      let bytes = 0
      for await (const chunk of res.body) bytes += (chunk as Buffer).length
      return res.statusCode >= 200 && res.statusCode < 300
        ? { bytes }
        : { bytes, error: `${res.statusCode} on ${path}` }
    } catch (err) {
      return { bytes: 0, error: `${(err as Error).message} on ${path}` }
    }
  }

  /** Every connection sends back-to-back for `seconds`. */
  async closed(target: Target, seconds: number, maxRequests = 1_000_000): Promise<Sample> {
    const sample = recorder(maxRequests)
    const started = performance.now()
    const until = started + seconds * 1000
    await Promise.all(
      Array.from({ length: this.connections }, async () => {
        while (performance.now() < until && sample.count < maxRequests) {
          const t0 = performance.now()
          const result = await this.once(target.path())
          sample.add(performance.now() - t0, result)
        }
      })
    )
    return sample.done((performance.now() - started) / 1000)
  }

  /** `rate` requests per second for `seconds`, over the same connections, timed from when due. */
  async open(target: Target, rate: number, seconds: number): Promise<Sample> {
    const total = Math.max(1, Math.round(rate * seconds))
    const sample = recorder(total)
    // bound on requests waiting for a connection: past it the server is overloaded and the
    // generator stops queueing (and says how many it dropped) instead of growing without limit
    const maxWaiting = this.connections * 50
    const started = performance.now()
    const pending: Array<Promise<void>> = []
    let inFlight = 0
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate
      const wait = due - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      if (inFlight >= maxWaiting) {
        sample.dropped++
        continue
      }
      inFlight++
      pending.push(
        this.once(target.path()).then((result) => {
          inFlight--
          sample.add(performance.now() - due, result)
        })
      )
    }
    await Promise.all(pending)
    return sample.done((performance.now() - started) / 1000)
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

function recorder(capacity: number) {
  const latencies = new Float64Array(capacity)
  const sample = {
    count: 0,
    errors: 0,
    bytes: 0,
    dropped: 0,
    firstError: undefined as string | undefined,
    add(ms: number, result: { bytes: number; error?: string }) {
      if (sample.count < capacity) latencies[sample.count] = ms
      sample.count++
      sample.bytes += result.bytes
      if (result.error) {
        sample.errors++
        sample.firstError ??= result.error
      }
    },
    done(seconds: number): Sample {
      return {
        latencies: latencies.subarray(0, Math.min(sample.count, capacity)),
        count: sample.count,
        errors: sample.errors,
        firstError: sample.firstError,
        bytes: sample.bytes,
        seconds,
        dropped: sample.dropped,
      }
    },
  }
  return sample
}

/** Nearest-rank percentiles (p in 0..100) of a sample; max is p = 100. */
export function percentiles(values: Float64Array, ps: readonly number[]): number[] {
  if (!values.length) return ps.map(() => Number.NaN)
  const sorted = Float64Array.from(values).sort()
  const rank = (p: number) => Math.ceil((p / 100) * sorted.length) - 1
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, rank(p)))]!)
}
