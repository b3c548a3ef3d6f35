/**
 * Latency probes: how long a sampled event takes from its POST's due time to a stage further
 * down the pipeline. The commit probe asks Postgres, every few milliseconds, which of the
 * sampled events it can see: "committed" is when a reader can see the row. Its resolution is the
 * poll interval, which is printed with the figures.
 *
 * The Socket.IO probe is a browser's view: a socket.io-client in the gateway's `board` room, in a
 * process of its own (bench/socketio-probe.ts), noting when a board cell arrives showing each
 * sampled event (or a later event of its cell, which supersedes it).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import type postgres from 'postgres'

import { eventIndex } from './events.ts'
import type { FromProbe, ToProbe } from './socketio-probe.ts'

export interface ProbeResult {
  latencies: number[]
  /** Events still unseen at `stop()` (or not followed at all: too many at once). */
  missed: number
  /** Events seen as themselves, when the probe can tell (the rest were overtaken). */
  exact?: number
}

export interface LatencyProbe {
  readonly name: string
  /** Follow this event; `dueAt` is the POST's scheduled time (performance.now()). */
  track(id: string, dueAt: number): void
  /** Latencies (ms) of the events seen so far; `missed` were still unseen at `stop()`. */
  stop(): Promise<ProbeResult>
}

export const COMMIT_POLL_MS = 5

export function commitProbe(sql: postgres.Sql, { maxPending = 2000 } = {}): LatencyProbe {
  const pending = new Map<string, number>()
  const latencies: number[] = []
  let stopped = false
  let stoppedAt = 0
  let overflow = 0

  const loop = (async () => {
    while (!stopped || pending.size) {
      const started = performance.now()
      if (pending.size) {
        const ids = [...pending.keys()].slice(0, 500)
        const rows = await sql<{ id: string }[]>`select id from event where id = any(${ids})`.catch(
          () => []
        )
        const now = performance.now()
        for (const { id } of rows) {
          const dueAt = pending.get(id)
          if (dueAt === undefined) continue
          latencies.push(now - dueAt)
          pending.delete(id)
        }
      }
      if (stopped && pending.size) {
        // give stragglers a few seconds after the load ends, then stop waiting
        if (performance.now() > stoppedAt + 5000) break
      }
      const wait = COMMIT_POLL_MS - (performance.now() - started)
      await new Promise((r) => setTimeout(r, Math.max(0, wait)))
    }
  })()

  return {
    name: 'commit',
    track(id, dueAt) {
      if (pending.size >= maxPending) {
        overflow++
        return
      }
      pending.set(id, dueAt)
    },
    async stop() {
      stopped = true
      stoppedAt = performance.now()
      await loop
      return { latencies, missed: pending.size + overflow }
    },
  }
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/**
 * POST → a Socket.IO client's receipt, for events of the source named `run` (bench/events.ts).
 * Resolves once the client is in the board room, so the load can start.
 */
export async function socketProbe(
  url: string,
  token: string,
  run: string,
  { graceMs = 5000 } = {}
): Promise<LatencyProbe> {
  const child = fork(fileURLToPath(new URL('./socketio-probe.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const tell = (m: ToProbe) => child.send(m)
  const next = () =>
    new Promise<FromProbe>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the Socket.IO probe exited (${code}) before answering`))
      child.once('exit', onExit)
      child.once('message', (m: FromProbe) => {
        child.off('exit', onExit)
        resolve(m)
      })
    })
  try {
    const ready = next()
    tell({ type: 'connect', url, token, run })
    const answer = await ready
    if (answer.type !== 'ready') {
      throw new Error(`the Socket.IO probe could not join: ${JSON.stringify(answer)}`)
    }
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  const tracked: Array<[number, number]> = []
  return {
    name: 'socketio',
    track(id, dueAt) {
      const index = eventIndex(run, id)
      if (index !== undefined) tracked.push([index, performance.timeOrigin + dueAt])
    },
    async stop() {
      const result = next()
      tell({ type: 'collect', tracked, graceMs })
      const answer = await result.finally(() =>
        setTimeout(() => child.kill('SIGKILL'), 2000).unref()
      )
      if (answer.type !== 'result') {
        throw new Error(`the Socket.IO probe failed: ${JSON.stringify(answer)}`)
      }
      return { latencies: answer.latencies, missed: answer.missed, exact: answer.exact }
    },
  }
}
