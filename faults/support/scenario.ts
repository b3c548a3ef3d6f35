/**
 * One fault under steady load, start to verdict: load runs; the fault is injected; once it is
 * lifted the recovery is timed (ingest acknowledges new events again and every event acknowledged
 * before the lift is committed); load goes on a little, stops; the backlog drains; the checker
 * judges the phase, and the Socket.IO viewers must show what the API and the stored events say.
 */
import { GatewayClient } from './gateway-client.ts'
import { IngestClient } from './ingest-client.ts'
import { Ledger, acked } from './ledger.ts'
import { Reporter } from './reporter.ts'
import { sleep, waitFor } from './children.ts'
import { openLoop } from './open-loop.ts'
import { steadyLoad, type SteadyLoadOptions } from './steady-load.ts'
import type { Backlog, System } from './system.ts'
import { RELEASE_VERSIONS } from './releases.ts'
import { checkViews, type Viewer } from './viewers.ts'
import { deadLetterCount, judge, type Verdict } from './verdict.ts'
import { Workload } from './workload.ts'

export interface Lab {
  system: System
  ledger: Ledger
  workload: Workload
  client: IngestClient
  reporter: Reporter
  /** The first gateway's API. */
  api: GatewayClient
  /** The releases made through the API (releases.ts); viewers follow them. */
  releases: string[]
  /** Live viewers, checked after every fault (faults may add and remove some). */
  viewers: Viewer[]
}

export function openLab(system: System, run: string): Lab {
  const ledger = new Ledger(run)
  const client = new IngestClient(system.ingestUrl, { token: system.token, connections: 64 })
  return {
    system,
    ledger,
    workload: new Workload(ledger, {
      seed: Number.parseInt(run.slice(-6), 36) || 1,
      releaseVersions: RELEASE_VERSIONS,
    }),
    client,
    reporter: new Reporter(client, ledger),
    api: new GatewayClient(system.gatewayUrl, system.token),
    releases: [],
    viewers: [],
  }
}

/** Every running gateway's URL. */
export const gatewayUrls = (system: System) =>
  system.instances.filter((s) => s.name === 'gateway' && s.running()).map((s) => s.url)

export const DEFAULT_LOAD = { singlesPerSecond: 120, batchesPerSecond: 2, batchSize: 25 } as const

export interface Scenario {
  phase: string
  load?: Partial<Omit<SteadyLoadOptions, 'phase'>>
  /** Load before the fault. */
  warmupMs?: number
  /** Injects the fault; resolves with the time it was lifted (epoch ms), or nothing if it is
   *  not the kind that is lifted (a poison message, a storm). */
  inject: () => Promise<number | undefined>
  /** Load after recovery, before stopping. */
  cooldownMs?: number
  recoveryTimeoutMs?: number
}

export async function underLoad(lab: Lab, scenario: Scenario): Promise<Verdict> {
  const { system, ledger } = lab
  const deadLettersBefore = await deadLetterCount(system)
  const load = steadyLoad(lab.reporter, lab.workload, {
    phase: scenario.phase,
    ...DEFAULT_LOAD,
    ...scenario.load,
  })
  let recoveryMs: number | undefined
  try {
    await sleep(scenario.warmupMs ?? 2000)
    const liftedAt = await scenario.inject()
    if (liftedAt !== undefined) {
      recoveryMs = await timeRecovery(
        lab,
        scenario.phase,
        liftedAt,
        scenario.recoveryTimeoutMs ?? 120_000
      )
    }
    await sleep(scenario.cooldownMs ?? 2000)
  } finally {
    await load.stop()
  }
  await drained(system)
  const drainedAt = performance.now()
  const verdict = await judge(system, ledger, scenario.phase, { deadLettersBefore, recoveryMs })
  if (!lab.viewers.length) return verdict
  return {
    ...verdict,
    views: await checkViews(system.sql, lab.viewers, gatewayUrls(system), system.token, {
      since: drainedAt,
    }),
  }
}

/**
 * From the lift until ingest acknowledges events sent after it and every event acknowledged
 * before it is committed in Postgres.
 */
async function timeRecovery(lab: Lab, phase: string, liftedAt: number, timeoutMs: number) {
  await waitFor(
    async () => {
      const events = lab.ledger.phase(phase)
      if (!events.some((s) => s.firstSentAt >= liftedAt && acked(s))) return undefined
      const before = events.filter(
        (s) => acked(s) && s.ackedAt! < liftedAt && s.expect === 'stored'
      )
      const ids = before.map((s) => s.id!).filter(Boolean)
      const [row] = await lab.system.sql<{ n: number }[]>`
        select count(*)::int as n from event where id = any(${ids})`
      return row!.n === ids.length ? true : undefined
    },
    {
      timeoutMs,
      intervalMs: 200,
      message: `${phase}: the system did not recover (${lab.system.instances
        .map((s) => `${s.instance} ${s.running() ? 'running' : 'down'}`)
        .join(', ')})`,
    }
  )
  return Date.now() - liftedAt
}

/**
 * Waits until the release service has acknowledged everything: its consumer has nothing left to
 * deliver and nothing unacknowledged. (Not "the stream is empty": after a kill -9, nats-server
 * 2.9 may keep work-queue messages that were acknowledged before the crash, which are never
 * delivered again; the suite found them all stored in Postgres.)
 */
export async function drained(system: System, timeoutMs = 120_000): Promise<void> {
  let last: Backlog | undefined
  try {
    await waitFor(
      async () => {
        last = await system.backlog()
        return last.pending === 0 && last.ackPending === 0 ? true : undefined
      },
      { timeoutMs, intervalMs: 250, message: 'the event backlog did not drain' }
    )
  } catch (err) {
    const running = system.instances.map((s) => `${s.instance} ${s.running() ? 'running' : 'down'}`)
    throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}; ${running.join(', ')}`, {
      cause: err,
    })
  }
}

export interface ProbedAnswer {
  /** Epoch ms when it was sent. */
  at: number
  status: number
  ms: number
}

/**
 * How fast ingest answers, timed on connections of its own: during an outage the load's retries
 * queue up on the load generator's connections, and their timings measure that queue rather
 * than ingest. A request goes out every `everyMs` whether or not the earlier ones are answered
 * (one held up by a publish in flight when NATS went away must not hide the others). Its events
 * are in the ledger like any other.
 */
export function answerProbe(lab: Lab, phase: string, everyMs = 100) {
  const client = new IngestClient(lab.system.ingestUrl, {
    token: lab.system.token,
    connections: 32,
  })
  const answers: ProbedAnswer[] = []
  const abort = new AbortController()
  const loop = openLoop({
    rate: 1000 / everyMs,
    durationMs: 10 * 60_000,
    maxOutstanding: 1000,
    signal: abort.signal,
    op: async () => {
      const sent = lab.workload.next(phase, 'event_id')
      sent.firstSentAt = Date.now()
      const answer = await client.post('/v1/deployment-events', JSON.stringify(sent.input))
      lab.ledger.answer(sent, answer.status)
      answers.push({ at: sent.firstSentAt, status: answer.status, ms: answer.ms })
    },
  })
  let stopped: Promise<void> | undefined
  return {
    /** The answers to requests sent within [from, to). */
    between: (from: number, to: number) => answers.filter((a) => a.at >= from && a.at < to),
    /** Stops sending (safe to call twice); resolves once every answer is in. */
    stop() {
      abort.abort()
      stopped ??= loop.then(() => client.close())
      return stopped
    },
  }
}
