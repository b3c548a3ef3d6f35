/**
 * `pnpm bench`: the end-to-end benchmark. A benchmark, not a test: it prints figures and never
 * fails because a machine is slow. In one run on one machine it measures the physical limits
 * (bench/limits.ts), then the whole pipeline as real processes on private servers
 * (bench/pipeline-run.ts), for each durability profile, and prints one report.
 *
 *   pnpm bench                 the full run (about 15 minutes)
 *   pnpm bench --quick         short steps, for trying changes (rough figures)
 *   pnpm bench --write         also put the report into BENCHMARKS.md
 *   pnpm bench --profiles fast
 *
 * Load goes to loopback only, and every loop is bounded in count and time.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import { natsServer210, systemNatsServer } from '../faults/support/nats-binaries.ts'
import { IngestClient } from '../faults/support/ingest-client.ts'
import { REPO_ROOT, scratchDir } from '../faults/support/paths.ts'
import { postgresBin } from '../faults/support/postgres-server.ts'
import type { ServiceName } from '../faults/support/services.ts'
import { System } from '../faults/support/system.ts'
import { eventSource } from './events.ts'
import { jetstreamPublish, postgresInsert, rawHttp } from './limits.ts'
import { machineFacts } from './machine.ts'
import { findMax, latencyAt, type LatencyResult, type Mode, type Pipeline } from './pipeline-run.ts'
import { commitProbe, socketProbe, type LatencyProbe } from './probes.ts'
import { peakRss, type Watched } from './proc-stats.ts'
import { renderReport, writeBenchmarksMd, type BenchResult, type ProfileResult } from './report.ts'

/** The services under load; the gateway pushes to the Socket.IO probe's client. */
const SERVICES: readonly ServiceName[] = ['release', 'ingest', 'gateway']
/** The gateway's default live coalescing window, and a shorter one measured beside it. */
const LIVE_INTERVAL_MS = 100
const SHORT_LIVE_INTERVAL_MS = 20

/** The durability profiles (ARCHITECTURE.md, "Durability"). */
const PROFILES = {
  fast: {
    description: 'JetStream fsyncs on its own schedule (every 2 min), Postgres commits durably',
    syncInterval: undefined,
    synchronousCommit: 'on',
  },
  safe: {
    description: 'JetStream fsyncs every event before acknowledging it, Postgres commits durably',
    syncInterval: 'always',
    synchronousCommit: 'on',
  },
} as const
type ProfileName = keyof typeof PROFILES

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    profiles: { type: 'string', default: 'fast,safe' },
  },
})
const quick = args.quick
const timing = quick
  ? { stepMs: 2500, latencyMs: 3000, limitMs: 2500 }
  : { stepMs: 6000, latencyMs: 10_000, limitMs: 8000 }
const log = (line: string) => console.log(line)

async function natsBinary(): Promise<{ binary: string; note?: string }> {
  try {
    return { binary: await natsServer210() }
  } catch (err) {
    return { binary: systemNatsServer(), note: (err as Error).message }
  }
}

async function measureProfile(name: ProfileName, binary: string): Promise<ProfileResult> {
  const profile = PROFILES[name]
  log(`\n== profile "${name}": ${profile.description}`)
  const system = await System.start({
    label: `bench-${name}`,
    services: SERVICES,
    natsBinary: binary,
    ...(profile.syncInterval ? { syncInterval: profile.syncInterval } : {}),
    serviceEnv: { RELEASE_SYNCHRONOUS_COMMIT: profile.synchronousCommit },
  })
  const client = new IngestClient(system.ingestUrl, { token: system.token, connections: 128 })
  try {
    log('  raw JetStream publish…')
    const jetstream = await jetstreamPublish(system.nats.url, { maxMs: timing.limitMs })
    log(`    ${Math.round(jetstream.perSecond)}/s (${jetstream.detail})`)
    log('  raw Postgres insert and COPY…')
    const pg = await postgresInsert((db) => system.postgres.url(db), { maxMs: timing.limitMs })
    log(`    INSERT ${Math.round(pg.insert.perSecond)}/s, COPY ${Math.round(pg.copy.perSecond)}/s`)

    const watched: Watched[] = [
      ...system.instances.map((s) => ({
        name: s.instance,
        pid: () => s.pid,
        memory: 'process' as const,
      })),
      { name: 'nats-server', pid: () => system.nats.pid, memory: 'process' },
      { name: 'postgres', pid: () => system.postgres.pid, memory: 'tree' },
    ]
    const memory = peakRss(watched)
    const run = `${name}${Date.now().toString(36)}`
    const pipeline: Pipeline = { system, client, next: eventSource(run), watched }
    // a probe that cannot join is reported as not measured, not a failed benchmark
    const probes = async (): Promise<LatencyProbe[]> => {
      const commit = commitProbe(system.sql)
      try {
        return [commit, await socketProbe(system.gatewayUrl, system.token, run)]
      } catch (err) {
        log(`    Socket.IO probe unavailable: ${(err as Error).message}`)
        return [commit]
      }
    }
    const show = (l: LatencyResult) =>
      `${Math.round(l.offered)}/s, POST p50/p99 ${l.post.p50?.toFixed(1)}/${l.post.p99?.toFixed(1)} ms, commit p50/p99 ${l.probes.commit?.p50?.toFixed(1)}/${l.probes.commit?.p99?.toFixed(1)} ms, Socket.IO p50/p99 ${l.probes.socketio?.p50?.toFixed(1)}/${l.probes.socketio?.p99?.toFixed(1)} ms`
    const max = {} as Record<Mode, Awaited<ReturnType<typeof findMax>>>
    for (const mode of ['single', 'batch'] as const) {
      log(`  ${mode} POSTs: raising the rate until the pipeline stops keeping up…`)
      max[mode] = await findMax(pipeline, mode, {
        // batches go at least as fast as single events: start where those stopped
        start: mode === 'single' ? 400 : Math.max(400, Math.round(max.single.max)),
        stepMs: timing.stepMs,
        log,
      })
      log(`    max ${Math.round(max[mode].max)} events/s; then: ${max[mode].limit}`)
    }
    const latency: LatencyResult[] = []
    for (const mode of ['single', 'batch'] as const) {
      for (const fraction of [0.25, 0.5, 0.75]) {
        if (max[mode].max <= 0) continue
        const l = await latencyAt(pipeline, mode, max[mode].max, fraction, {
          ms: timing.latencyMs,
          probes: await probes(),
          liveIntervalMs: LIVE_INTERVAL_MS,
        })
        log(`  ${mode} at ${fraction * 100} %: ${show(l)}`)
        latency.push(l)
      }
    }
    // The gateway sends a room at most one message per interval, so under steady load an event
    // waits up to one interval for the next flush: the same half-load rows with a shorter one.
    log(`  the gateway again with SHIPLOG_LIVE_INTERVAL_MS=${SHORT_LIVE_INTERVAL_MS}…`)
    await system.removeInstance(system.service('gateway'))
    await system.addInstance('gateway', {
      SHIPLOG_LIVE_INTERVAL_MS: String(SHORT_LIVE_INTERVAL_MS),
    })
    for (const mode of ['single', 'batch'] as const) {
      if (max[mode].max <= 0) continue
      const l = await latencyAt(pipeline, mode, max[mode].max, 0.5, {
        ms: timing.latencyMs,
        probes: await probes(),
        liveIntervalMs: SHORT_LIVE_INTERVAL_MS,
      })
      log(`  ${mode} at 50 %, live interval ${SHORT_LIVE_INTERVAL_MS} ms: ${show(l)}`)
      latency.push(l)
    }
    return {
      name,
      description: profile.description,
      nats: { version: system.nats.version, syncInterval: system.nats.syncInterval },
      postgres: { version: system.postgres.version, synchronousCommit: profile.synchronousCommit },
      limits: { jetstream, pgInsert: pg.insert, pgCopy: pg.copy },
      max,
      latency,
      peakMemory: memory.stop(),
    }
  } finally {
    await client.close()
    await system.stop()
  }
}

async function main() {
  const scratch = scratchDir('bench')
  const startedAt = new Date().toISOString()
  try {
    const profiles = args.profiles.split(',').filter((p): p is ProfileName => p in PROFILES)
    log('machine facts (pg_test_fsync takes a few seconds)…')
    const machine = await machineFacts(scratch.path, postgresBin())
    log('raw Hono POST…')
    const http = await rawHttp(scratch.path, { ms: timing.limitMs })
    log(`  ${Math.round(http.perSecond)}/s`)
    const { binary, note } = await natsBinary()
    if (note) log(`nats-server 2.10 unavailable (${note}); using ${binary}`)
    const results: ProfileResult[] = []
    const skipped: BenchResult['skipped'] = []
    for (const name of profiles) {
      if (PROFILES[name].syncInterval && note) {
        skipped.push({ name, reason: `needs nats-server 2.10+ for sync_interval (${note})` })
        continue
      }
      results.push(await measureProfile(name, binary))
    }
    const result: BenchResult = {
      startedAt,
      command: `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      commit: gitCommit(),
      quick,
      machine,
      http,
      profiles: results,
      skipped,
    }
    const report = renderReport(result)
    console.log(`\n${report}\n`)
    const json = join(scratch.path, '..', `shiplog-bench-${startedAt.replace(/[:.]/g, '-')}.json`)
    writeFileSync(json, JSON.stringify(result, null, 2))
    log(`raw results: ${json}`)
    if (args.write) {
      writeBenchmarksMd(join(REPO_ROOT, 'BENCHMARKS.md'), report)
      log('BENCHMARKS.md updated')
    }
  } finally {
    scratch.remove()
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim()
    return dirty ? `${sha} (with uncommitted changes)` : sha
  } catch {
    return 'unknown'
  }
}

// Ctrl-C: exit normally, so the exit hooks stop every server and service this run started.
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))

await main()
