/**
 * The pipeline measured end to end, HTTP POST → ingest → JetStream → release service → rows
 * committed in Postgres, with single-event POSTs or with the batch endpoint:
 *
 * - `findMax` raises an open-loop offered rate step by step until the pipeline stops keeping up:
 *   the backlog of unacknowledged events grows (the consumer falls behind), or ingest answers
 *   late or not at all. The maximum is the best committed rate of a step that kept up.
 * - `latencyAt` offers a fixed rate (25/50/75 % of that maximum) and times each POST from its
 *   due time (queueing is not hidden), and sampled events to their commit and to a Socket.IO
 *   client (probes.ts).
 */
import { openLoop } from '../faults/support/open-loop.ts'
import type { IngestClient } from '../faults/support/ingest-client.ts'
import type { System } from '../faults/support/system.ts'
import type { BenchEvent } from './events.ts'
import { cpuWindow, type CpuWindow, type Watched } from './proc-stats.ts'
import { percentile, type LatencyProbe } from './probes.ts'

export type Mode = 'single' | 'batch'
export const BATCH_SIZE = 100

const PATH: Record<Mode, string> = {
  single: '/v1/deployment-events',
  batch: '/v1/deployment-events/batch',
}

export interface Pipeline {
  system: System
  client: IngestClient
  next: () => BenchEvent
  watched: Watched[]
}

export interface StepResult {
  offered: number
  /** Events per second acknowledged by the release service (committed) during the step. */
  committed: number
  /** Events refused or unanswered (anything but 200/202), and not sent (generator saturated). */
  failed: number
  dropped: number
  /** Unacknowledged events in the stream at the end of the step. */
  backlog: number
  postP50: number | undefined
  postP99: number | undefined
  keptUp: boolean
  /** Why it did not keep up. */
  limit?: string
}

interface Load {
  mode: Mode
  eventsPerSecond: number
  ms: number
  probes?: LatencyProbe[]
}

async function acknowledged(system: System) {
  const b = await system.backlog()
  return { acked: b.lastSeq - b.messages, backlog: b.messages }
}

/** Offers `eventsPerSecond` for `ms`, open loop; returns what came of it. */
async function offer(p: Pipeline, load: Load) {
  const requestsPerSecond =
    load.mode === 'single' ? load.eventsPerSecond : load.eventsPerSecond / BATCH_SIZE
  const sampleEvery =
    load.mode === 'single' ? Math.max(1, Math.round(load.eventsPerSecond / 200)) : 1
  const latencies: number[] = []
  let failed = 0
  const before = await acknowledged(p.system)
  const loop = await openLoop({
    rate: requestsPerSecond,
    durationMs: load.ms,
    // past ~2 s of requests in flight the server is not keeping up; more would only queue here
    maxOutstanding: Math.max(64, Math.ceil(requestsPerSecond * 2)),
    op: async (i, dueAt) => {
      const events =
        load.mode === 'single' ? [p.next()] : Array.from({ length: BATCH_SIZE }, p.next)
      const body = JSON.stringify(
        load.mode === 'single' ? events[0]!.body : events.map((e) => e.body)
      )
      if (load.probes?.length && i % sampleEvery === 0) {
        const sampled = events[i % events.length]!
        for (const probe of load.probes) probe.track(sampled.id, dueAt)
      }
      const answer = await p.client.post(PATH[load.mode], body, { parse: false })
      latencies.push(performance.now() - dueAt)
      if (answer.status !== 202 && answer.status !== 200) failed += events.length
    },
  })
  const after = await acknowledged(p.system)
  const seconds = loop.elapsedMs / 1000
  const perRequest = load.mode === 'single' ? 1 : BATCH_SIZE
  return {
    offered: (loop.due * perRequest) / seconds,
    committed: (after.acked - before.acked) / seconds,
    failed,
    dropped: loop.dropped * perRequest,
    backlog: after.backlog,
    latencies,
  }
}

/** Waits for the release service to catch up before the next step. */
async function drain(system: System, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const b = await system.backlog()
    if (b.messages === 0) return true
    await new Promise((r) => setTimeout(r, 250))
  }
  return false
}

export async function step(
  p: Pipeline,
  mode: Mode,
  eventsPerSecond: number,
  ms: number
): Promise<StepResult> {
  const r = await offer(p, { mode, eventsPerSecond, ms })
  const postP99 = percentile(r.latencies, 99)
  // kept up: everything answered at once, and no more than half a second of events waiting
  const lagging = r.backlog > Math.max(200, eventsPerSecond / 2)
  const limit =
    r.dropped > 0
      ? 'ingest saturated (requests piling up)'
      : r.failed > 0
        ? `ingest refused ${r.failed} events`
        : postP99 !== undefined && postP99 > 1000
          ? 'ingest saturated (POST p99 > 1 s)'
          : lagging
            ? 'consumer fell behind (backlog grew)'
            : undefined
  return {
    offered: r.offered,
    committed: r.committed,
    failed: r.failed,
    dropped: r.dropped,
    backlog: r.backlog,
    postP50: percentile(r.latencies, 50),
    postP99,
    keptUp: limit === undefined,
    ...(limit ? { limit } : {}),
  }
}

export interface MaxResult {
  mode: Mode
  /** Best committed events/s of a step that kept up. */
  max: number
  /** Why the next step up did not keep up. */
  limit: string
  steps: StepResult[]
}

export async function findMax(
  p: Pipeline,
  mode: Mode,
  {
    start,
    stepMs,
    factor = 1.3,
    maxSteps = 14,
    log = (_: string) => {},
  }: {
    start: number
    stepMs: number
    factor?: number
    maxSteps?: number
    log?: (line: string) => void
  }
): Promise<MaxResult> {
  // warm up first (JIT, connections, the first SHA claims): not counted
  const warm = await step(p, mode, start / 2, Math.min(stepMs, 3000))
  log(`  ${mode} warm-up at ${Math.round(warm.offered)}/s`)
  await drain(p.system)
  const steps: StepResult[] = []
  let rate = start
  let best: StepResult | undefined
  let failedAt: number | undefined
  let refined = false
  for (let i = 0; i < maxSteps; i++) {
    const s = await step(p, mode, rate, stepMs)
    steps.push(s)
    log(
      `  ${mode} ${Math.round(s.offered)}/s offered → ${Math.round(s.committed)}/s committed, backlog ${s.backlog}, POST p99 ${fmt(s.postP99)} ms${s.keptUp ? '' : `: ${s.limit}`}`
    )
    const drained = await drain(p.system)
    if (s.keptUp) {
      if (!best || s.committed > best.committed) best = s
      if (failedAt === undefined) {
        rate *= factor
      } else if (refined) {
        break
      } else {
        // between this rate and the one that failed, once
        rate = (rate + failedAt) / 2
        refined = true
      }
    } else {
      failedAt = Math.min(failedAt ?? Number.POSITIVE_INFINITY, rate)
      if (!best) {
        // not even the first rate: come down until one keeps up
        rate /= factor * factor
      } else if (refined) {
        break
      } else {
        rate = (best.offered + rate) / 2
        refined = true
      }
    }
    if (!drained) break
  }
  const limit = steps.find((s) => !s.keptUp)?.limit ?? `not reached within ${maxSteps} steps`
  return { mode, max: best?.committed ?? 0, limit, steps }
}

export interface LatencyResult {
  mode: Mode
  fraction: number
  offered: number
  committed: number
  failed: number
  post: { p50: number | undefined; p99: number | undefined }
  probes: Record<
    string,
    {
      p50: number | undefined
      p99: number | undefined
      samples: number
      missed: number
      /** Samples seen as themselves (the rest overtaken in their cell by a later event). */
      exact?: number
    }
  >
  cpu: CpuWindow
  /** The gateway's SHIPLOG_LIVE_INTERVAL_MS during the run (when a Socket.IO probe ran). */
  liveIntervalMs?: number
}

export async function latencyAt(
  p: Pipeline,
  mode: Mode,
  max: number,
  fraction: number,
  { ms, probes, liveIntervalMs }: { ms: number; probes: LatencyProbe[]; liveIntervalMs?: number }
): Promise<LatencyResult> {
  await drain(p.system)
  const end = cpuWindow(p.watched)
  const r = await offer(p, { mode, eventsPerSecond: max * fraction, ms, probes })
  const cpu = end()
  const probed: LatencyResult['probes'] = {}
  for (const probe of probes) {
    const { latencies, missed, exact } = await probe.stop()
    probed[probe.name] = {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      samples: latencies.length,
      missed,
      ...(exact === undefined ? {} : { exact }),
    }
  }
  await drain(p.system)
  return {
    mode,
    fraction,
    offered: r.offered,
    committed: r.committed,
    failed: r.failed,
    post: { p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99) },
    probes: probed,
    cpu,
    ...(liveIntervalMs === undefined ? {} : { liveIntervalMs }),
  }
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms.toFixed(1))
