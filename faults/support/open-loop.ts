/**
 * An open-loop scheduler: operation i is due at start + i / rate, whether or not the earlier
 * ones have finished, so a slow server shows up as latency instead of silently lowering the rate
 * (coordinated omission). Callers time each operation from its due time, not from when it left.
 * Bounded in count and time; when more than `maxOutstanding` operations are unfinished the
 * server cannot keep up, and further operations are counted as dropped instead of queued.
 */

export interface OpenLoopOptions {
  /** Operations per second. */
  rate: number
  durationMs: number
  maxCount?: number
  maxOutstanding: number
  /** `dueAt` is on the performance.now() clock. */
  op: (index: number, dueAt: number) => Promise<unknown>
  signal?: AbortSignal
}

export interface OpenLoopResult {
  due: number
  started: number
  dropped: number
  /** How far behind schedule the generator itself fell at worst (its own CPU starvation). */
  maxDispatchLagMs: number
  elapsedMs: number
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, durationMs, maxOutstanding, op, signal } = options
  const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY
  const interval = 1000 / rate
  const start = performance.now()
  const end = start + durationMs
  let next = 0
  let started = 0
  let dropped = 0
  let outstanding = 0
  let maxDispatchLagMs = 0
  let drained: (() => void) | undefined

  const finish = () => {
    outstanding--
    if (outstanding === 0) drained?.()
  }

  for (;;) {
    const now = performance.now()
    if (signal?.aborted || next >= maxCount) break
    const dueNow = Math.min(maxCount, Math.floor((Math.min(now, end) - start) / interval) + 1)
    if (now >= end && next >= dueNow) break
    while (next < dueNow) {
      const dueAt = start + next * interval
      maxDispatchLagMs = Math.max(maxDispatchLagMs, now - dueAt)
      if (outstanding >= maxOutstanding) {
        dropped++
      } else {
        outstanding++
        started++
        op(next, dueAt).then(finish, finish)
      }
      next++
    }
    if (now >= end) break
    const wait = start + next * interval - performance.now()
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 5))))
  }
  if (outstanding > 0) await new Promise<void>((r) => (drained = r))
  return { due: next, started, dropped, maxDispatchLagMs, elapsedMs: performance.now() - start }
}
