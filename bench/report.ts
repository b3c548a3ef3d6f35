/**
 * The benchmark's results as Markdown tables: the physical limits, the pipeline with its ratio to
 * the slowest limit of the same run, latencies, CPU per 1,000 events and peak memory per process,
 * for each durability profile; and the machine it ran on. The same text is printed and, with
 * `--write`, put into BENCHMARKS.md between its markers.
 */
import { readFileSync, writeFileSync } from 'node:fs'

import type { MachineFacts } from './machine.ts'
import type { LatencyResult, MaxResult, Mode } from './pipeline-run.ts'
import { COMMIT_POLL_MS } from './probes.ts'
import type { Throughput } from './limits.ts'

export interface ProfileResult {
  name: string
  description: string
  nats: { version: string; syncInterval: string }
  postgres: { version: string; synchronousCommit: string }
  limits: { jetstream: Throughput; pgInsert: Throughput; pgCopy: Throughput }
  max: Record<Mode, MaxResult>
  latency: LatencyResult[]
  peakMemory: Record<string, number>
}

export interface BenchResult {
  startedAt: string
  command: string
  commit: string
  quick: boolean
  machine: MachineFacts
  http: Throughput
  profiles: ProfileResult[]
  /** Profiles that could not be run, with the reason. */
  skipped: Array<{ name: string; reason: string }>
}

export const TARGETS = {
  batchToJetStream: 0.5,
  singlePerSecond: 5000,
  browserP99Ms: 50,
} as const

const n = (x: number | undefined, digits = 0) =>
  x === undefined || !Number.isFinite(x)
    ? '—'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const ms = (x: number | undefined) => (x === undefined ? '—' : x < 10 ? x.toFixed(1) : x.toFixed(0))
const mib = (bytes: number | undefined) =>
  bytes === undefined ? '—' : `${n(bytes / 1024 ** 2)} MiB`
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—')
const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')

function slowestLimit(r: BenchResult, p: ProfileResult) {
  const limits = [
    { name: 'raw JetStream publish', value: p.limits.jetstream.perSecond },
    {
      name: 'raw Postgres insert/COPY',
      value: Math.max(p.limits.pgInsert.perSecond, p.limits.pgCopy.perSecond),
    },
    { name: 'raw Hono POST', value: r.http.perSecond },
  ]
  return limits.reduce((a, b) => (b.value < a.value ? b : a))
}

function profileSection(r: BenchResult, p: ProfileResult): string {
  const slowest = slowestLimit(r, p)
  const js = p.limits.jetstream.perSecond
  const limits = table(
    ['physical limit', 'events/s', 'how'],
    [
      [
        'raw JetStream publish from Node (async, bounded window)',
        n(js),
        p.limits.jetstream.detail ?? '',
      ],
      [
        'raw Postgres multi-row INSERT … ON CONFLICT into `event`',
        n(p.limits.pgInsert.perSecond),
        p.limits.pgInsert.detail ?? '',
      ],
      [
        'raw Postgres COPY into `event`',
        n(p.limits.pgCopy.perSecond),
        p.limits.pgCopy.detail ?? '',
      ],
      ['raw Hono POST, no work (same body)', n(r.http.perSecond), r.http.detail ?? ''],
    ]
  )
  const single = p.max.single
  const batch = p.max.batch
  const pipeline = table(
    [
      'pipeline: POST → committed rows',
      'events/s',
      `× slowest limit (${slowest.name})`,
      '× raw JetStream publish',
      'target',
      'stopped by',
    ],
    [
      [
        'single-event POSTs, max sustained',
        n(single.max),
        ratio(single.max, slowest.value),
        ratio(single.max, js),
        `≥ ${n(TARGETS.singlePerSecond)}/s: ${single.max >= TARGETS.singlePerSecond ? 'met' : 'not met'}`,
        single.limit,
      ],
      [
        'batch POSTs (100 events), max sustained',
        n(batch.max),
        ratio(batch.max, slowest.value),
        ratio(batch.max, js),
        `≥ ${TARGETS.batchToJetStream}× JetStream: ${batch.max >= TARGETS.batchToJetStream * js ? 'met' : 'not met'}`,
        batch.limit,
      ],
    ]
  )
  const defaultInterval = p.latency[0]?.liveIntervalMs
  const latency = table(
    [
      'latency, open loop',
      'offered events/s',
      'committed events/s',
      'POST → 2xx p50 / p99 ms',
      'POST → commit p50 / p99 ms',
      'POST → Socket.IO p50 / p99 ms',
      'Socket.IO samples: seen (as such) / missed',
    ],
    p.latency.map((l) => {
      const io = l.probes.socketio
      return [
        `${l.mode === 'single' ? 'single-event' : 'batch'} POSTs at ${Math.round(l.fraction * 100)} % of max${l.liveIntervalMs !== defaultInterval ? `, live interval ${l.liveIntervalMs} ms` : ''}`,
        n(l.offered),
        n(l.committed),
        `${ms(l.post.p50)} / ${ms(l.post.p99)}`,
        `${ms(l.probes.commit?.p50)} / ${ms(l.probes.commit?.p99)}`,
        io ? `${ms(io.p50)} / ${ms(io.p99)}` : 'not measured',
        io
          ? `${n(io.samples)} (${io.samples ? n(((io.exact ?? 0) / io.samples) * 100) : '—'} %) / ${n(io.missed)}`
          : '',
      ]
    })
  )
  const at50 = (mode: Mode) => latencyAt50(p, mode)
  const browser = (['single', 'batch'] as const).map((mode) => {
    const p99 = at50(mode)?.probes.socketio?.p99
    return `${mode === 'single' ? 'single-event' : 'batch'} ${p99 === undefined ? 'not measured' : `${ms(p99)} ms (${p99 < TARGETS.browserP99Ms ? 'met' : 'not met'})`}`
  })
  const perK = (l: LatencyResult | undefined, name: string) => {
    if (!l) return '—'
    const events = l.committed * l.cpu.seconds
    const cpu =
      name === 'load generator'
        ? l.cpu.generator
        : name === 'not ours'
          ? l.cpu.others
          : l.cpu.cpu[name]
    return cpu === undefined || events <= 0 ? '—' : n((cpu / events) * 1000, 3)
  }
  const share = (l: LatencyResult | undefined, name: string) => {
    if (!l) return '—'
    const cpu =
      name === 'load generator'
        ? l.cpu.generator
        : name === 'not ours'
          ? l.cpu.others
          : l.cpu.cpu[name]
    return cpu === undefined ? '—' : `${n((cpu / l.cpu.seconds) * 100)} %`
  }
  const processes = [...Object.keys(at50('single')?.cpu.cpu ?? {}), 'load generator', 'not ours']
  const cpu = table(
    [
      'process',
      'CPU-s / 1,000 events (single, 50 %)',
      'CPU share (single, 50 %)',
      'CPU-s / 1,000 events (batch, 50 %)',
      'CPU share (batch, 50 %)',
      'peak memory',
    ],
    processes.map((name) => [
      name,
      perK(at50('single'), name),
      share(at50('single'), name),
      perK(at50('batch'), name),
      share(at50('batch'), name),
      name === 'not ours' ? '' : mib(p.peakMemory[name === 'load generator' ? 'generator' : name]),
    ])
  )
  return [
    `### Profile "${p.name}": ${p.description}`,
    '',
    `nats-server ${p.nats.version}, sync_interval ${p.nats.syncInterval}; PostgreSQL ${p.postgres.version}, synchronous_commit ${p.postgres.synchronousCommit}.`,
    '',
    limits,
    '',
    pipeline,
    '',
    latency,
    '',
    `POST → Socket.IO p99 at 50 % of max, gateway live interval ${defaultInterval ?? '—'} ms (target < ${TARGETS.browserP99Ms} ms): ${browser.join('; ')}.`,
    '',
    cpu,
  ].join('\n')
}

/** The half-load row with the gateway's default live interval (the first one measured). */
function latencyAt50(p: ProfileResult, mode: Mode): LatencyResult | undefined {
  const defaultInterval = p.latency[0]?.liveIntervalMs
  return p.latency.find(
    (l) => l.mode === mode && l.fraction === 0.5 && l.liveIntervalMs === defaultInterval
  )
}

function durabilityCost(r: BenchResult): string {
  const fast = r.profiles.find((p) => p.name === 'fast')
  const safe = r.profiles.find((p) => p.name === 'safe')
  if (!fast || !safe) return ''
  const row = (what: string, a: number | undefined, b: number | undefined, unit: string) => [
    what,
    `${n(a)}${unit}`,
    `${n(b)}${unit}`,
    a && b ? ratio(b, a) : '—',
  ]
  const l50 = latencyAt50
  return [
    '### The price of the safe profile',
    '',
    table(
      ['', 'fast', 'safe', 'safe ÷ fast'],
      [
        row(
          'raw JetStream publish, events/s',
          fast.limits.jetstream.perSecond,
          safe.limits.jetstream.perSecond,
          ''
        ),
        row('single-event POSTs, max events/s', fast.max.single.max, safe.max.single.max, ''),
        row('batch POSTs, max events/s', fast.max.batch.max, safe.max.batch.max, ''),
        row(
          'single at 50 %: POST → 2xx p99',
          l50(fast, 'single')?.post.p99,
          l50(safe, 'single')?.post.p99,
          ' ms'
        ),
        row(
          'single at 50 %: POST → commit p99',
          l50(fast, 'single')?.probes.commit?.p99,
          l50(safe, 'single')?.probes.commit?.p99,
          ' ms'
        ),
        row(
          'single at 50 %: POST → Socket.IO p99',
          l50(fast, 'single')?.probes.socketio?.p99,
          l50(safe, 'single')?.probes.socketio?.p99,
          ' ms'
        ),
      ]
    ),
  ].join('\n')
}

export function renderReport(r: BenchResult): string {
  const m = r.machine
  const facts = table(
    ['machine', ''],
    [
      ['CPUs (nproc)', `${m.cpus} × ${m.cpuModel}`],
      ['memory', `${m.memoryGiB} GiB`],
      ['disk', `${m.disk}, ${m.filesystem}`],
      ['disk flushes/s (pg_test_fsync, fdatasync of 8 kB)', n(m.flushesPerSecond)],
      ['kernel', m.kernel],
      ['Node', m.node],
      ['load average when the run started', m.loadAverage],
    ]
  )
  return [
    `Run ${r.startedAt} at commit ${r.commit}: \`${r.command}\`${r.quick ? ' (quick: short steps, figures are rough)' : ''}.`,
    '',
    facts,
    '',
    ...r.profiles.flatMap((p) => [profileSection(r, p), '']),
    ...r.skipped.map((s) => `Profile "${s.name}": not measured: ${s.reason}\n`),
    durabilityCost(r),
    '',
    `Latencies are timed from each request's scheduled send time (open loop). "Commit" is when a reader sees the row: the probe polls Postgres every ${COMMIT_POLL_MS} ms for sampled events, so commit figures carry up to ${COMMIT_POLL_MS} ms of polling. "Socket.IO" is when one socket.io-client in the gateway's board room, in a process of its own, receives a board cell showing the sampled event, or a later event of the same cell that overtook it before a flush (the cell is then at least that new; "as such" is the share seen as themselves); the gateway sends a room at most one message per live interval. "not ours" is CPU used on the machine by processes other than Shiplog's, its servers and the load generator during the same window.`,
  ].join('\n')
}

const BEGIN = '<!-- bench:results:begin -->'
const END = '<!-- bench:results:end -->'

/** Replaces the generated part of BENCHMARKS.md; the hand-written text around it stays. */
export function writeBenchmarksMd(file: string, report: string): void {
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(BEGIN)
  const end = text.indexOf(END)
  if (start < 0 || end < start) throw new Error(`${file} has no ${BEGIN} … ${END} markers`)
  writeFileSync(file, `${text.slice(0, start + BEGIN.length)}\n${report}\n${text.slice(end)}`)
}
