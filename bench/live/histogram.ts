/**
 * Latencies counted in fixed 0.1 ms buckets up to 60 s: millions of samples in a few kilobytes,
 * merged exactly across the client processes, percentiles exact to the bucket.
 */
const BUCKET_MS = 0.1
const BUCKETS = 600_000

export type Sparse = Array<[bucket: number, count: number]>

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1)
  count = 0
  max = 0

  record(ms: number) {
    const bucket = Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)))
    this.counts[bucket]!++
    this.count++
    if (ms > this.max) this.max = ms
  }

  /** The non-empty buckets, for sending to another process. */
  sparse(): { buckets: Sparse; max: number } {
    const buckets: Sparse = []
    this.counts.forEach((n, i) => n && buckets.push([i, n]))
    return { buckets, max: this.max }
  }

  merge({ buckets, max }: { buckets: Sparse; max: number }) {
    for (const [i, n] of buckets) {
      this.counts[i]! += n
      this.count += n
    }
    this.max = Math.max(this.max, max)
  }

  /** The upper edge of the bucket holding the p-th percentile (p in 0..100). */
  percentile(p: number): number {
    if (!this.count) return Number.NaN
    const rank = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min((i + 1) * BUCKET_MS, this.max)
    }
    return this.max
  }
}
