/**
 * The steady load a fault happens under: single-event POSTs and batches, each at a fixed rate
 * (open loop), every event new and recorded in the ledger, until stopped. Stopping waits for the
 * events still being retried, so the ledger is final when `stop()` resolves.
 */
import { openLoop, type OpenLoopResult } from './open-loop.ts'
import type { Reporter } from './reporter.ts'
import type { Workload } from './workload.ts'

export interface SteadyLoadOptions {
  phase: string
  singlesPerSecond: number
  batchesPerSecond: number
  batchSize: number
}

export interface SteadyLoad {
  stop(): Promise<{ singles: OpenLoopResult; batches: OpenLoopResult }>
}

/** Bounded in time even if nobody stops it. */
const MAX_DURATION_MS = 10 * 60_000

export function steadyLoad(
  reporter: Reporter,
  workload: Workload,
  options: SteadyLoadOptions
): SteadyLoad {
  const abort = new AbortController()
  const common = { durationMs: MAX_DURATION_MS, maxOutstanding: 10_000, signal: abort.signal }
  const singles = openLoop({
    ...common,
    rate: options.singlesPerSecond,
    op: () => reporter.single(workload.next(options.phase)),
  })
  const batches = openLoop({
    ...common,
    rate: options.batchesPerSecond,
    op: () =>
      reporter.batch(
        Array.from({ length: options.batchSize }, () =>
          // the batch endpoint takes no Idempotency-Key header: keys travel in the events
          workload.next(options.phase, workload.pick(['event_id', 'invoke'] as const))
        )
      ),
  })
  return {
    async stop() {
      abort.abort()
      const [s, b] = await Promise.all([singles, batches])
      return { singles: s, batches: b }
    },
  }
}
