/**
 * Latency probes: how long a sampled event takes from its POST's due time to a stage further
 * down the pipeline. The commit probe asks Postgres, every few milliseconds, which of the
 * sampled events it can see: "committed" is when a reader can see the row. Its resolution is the
 * poll interval, which is printed with the figures.
 *
 * The Socket.IO probe (POST → a browser's update) plugs in here when the gateway exists: a
 * socket.io-client in the board's room that, for each update note, resolves the events it names
 * (contracts `Update.events`). Until then the benchmark prints it as not measured.
 */
import type postgres from 'postgres'

export interface LatencyProbe {
  readonly name: string
  /** Follow this event; `dueAt` is the POST's scheduled time (performance.now()). */
  track(id: string, dueAt: number): void
  /** Latencies (ms) of the events seen so far; `missed` were still unseen at `stop()`. */
  stop(): Promise<{ latencies: number[]; missed: number }>
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
