/**
 * `pnpm bench:api`: read latency of the gateway's busiest endpoints on a realistic volume.
 *
 * Seeds (once, then cached: --reseed to redo) a year of history — 200 products, 8 environments,
 * 1,000,000 deployments and the ~1.9 million events they are the fold of, 10,000 manual releases
 * and the automatic ones — into a database of its own, starts the real gateway process on it, and
 * drives the board, releases, the timeline, release reports, the deployments chart and DORA over
 * 20 keep-alive connections: closed loop (the ceiling, req/s) then open loop at fixed fractions of
 * that ceiling (latency without coordinated omission). Prints one Markdown table with
 * p50/p99/max, req/s, where the CPU went, and the plan of each endpoint's queries. A benchmark: it
 * reports, never fails.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

import { connectNats, createLogger } from '@shiplog/kit'
import { natsNames } from '@shiplog/contracts'
import postgres from 'postgres'

import { recomputeCells } from '@shiplog/release/record'

import { readBoard, readCells } from '../services/gateway/src/read/board.ts'
import {
  readDeploymentStats,
  readDora,
  readReport,
  readTimeline,
} from '../services/gateway/src/read/intelligence.ts'
import { listReleases, readRelease } from '../services/gateway/src/read/releases.ts'

import { SHAPE } from './api/dataset.ts'
import { Load, percentiles, type Sample, type Target } from './api/load.ts'
import { cpuAccount, machineFacts, type CpuShare } from './api/machine.ts'
import { explainReads, type Explained, type Read } from './api/plans.ts'
import { ensureSeeded } from './api/seed.ts'
import { startService } from './api/service.ts'

const { values: args } = parseArgs({
  options: {
    reseed: { type: 'boolean', default: false },
    database: { type: 'string', default: 'shiplog_bench_api' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    /** Open-loop rates, as fractions of the closed-loop ceiling measured just before. */
    load: { type: 'string', default: '0.25,0.5,0.75' },
    /** Board cells changed per second in the board's extra open-loop row (0: no such row). */
    changes: { type: 'string', default: '20' },
    /** Only the endpoints whose row name contains one of these (comma-separated), e.g. "dora". */
    only: { type: 'string', default: '' },
  },
})
const config = {
  adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222',
  database: args.database,
  reseed: args.reseed,
  connections: Number(args.connections),
  warmup: Number(args.warmup),
  seconds: Number(args.seconds),
  fractions: args.load.split(',').map(Number),
  changes: Number(args.changes),
  only: args.only.split(',').filter(Boolean),
}
/** p99 targets from the issues: the board and releases, then release intelligence. */
const TARGET_P99_MS = { core: 20, intelligence: 50 }
const say = (line: string) => console.error(line)
const log = createLogger('bench-api', 'warn')

const seeded = await ensureSeeded({
  adminUrl: config.adminUrl,
  database: config.database,
  shape: SHAPE,
  reseed: config.reseed,
  log,
  say,
})
const sql = postgres(seeded.url, { max: 2, onnotice: () => {} })
const facts = await machineFacts(sql)
const [counts] = await sql<
  Array<{
    products: number
    environments: number
    versions: number
    deployments: number
    events: number
    releases: number
    automatic: number
    in_progress: number
    cells: number
  }>
>`select (select count(*)::int from product) as products,
    (select count(*)::int from environment) as environments,
    (select count(*)::int from version) as versions,
    (select count(*)::int from deployment) as deployments,
    (select count(*)::int from event) as events,
    (select count(*)::int from release) as releases,
    (select count(*)::int from release where automatic) as automatic,
    (select count(*)::int from release where status = 'in_progress') as in_progress,
    (select count(*)::int from environment_state) as cells`
// releases people open: any of them, so the cache is not artificially hot
const releaseIds = (
  await sql<Array<{ id: string }>>`
  select id from release order by md5(id::text) limit 2000`
).map((r) => r.id)
const DAY = 86_400_000
const dataNow = seeded.seededAt.getTime()
// reports people read: typical manual releases (4–12 versions) shipped 31–75 days before the
// data ends, so each has a full 30 days of adoption, a previous release of its products and most
// of the year's history behind it
const reportIds = (
  await sql<Array<{ id: string }>>`
  select id from release
  where not automatic and status in ('completed', 'in_progress') and versions_count between 4 and 12
    and timeline_at between ${new Date(dataNow - 75 * DAY)} and ${new Date(dataNow - 31 * DAY)}
  order by md5(id::text) limit 200`
).map((r) => r.id)
// the timeline filtered by a product in a median number of releases; DORA for the product
// deployed to production most often in the last 30 days
const [timelineProduct] = await sql<Array<{ id: string; name: string; releases: number }>>`
  select p.id, p.name, count(*)::int as releases from product p join release_version rv on rv.product_id = p.id
  group by p.id order by count(*), p.name offset (select count(*) / 2 from product) limit 1`
const [doraProduct] = await sql<Array<{ id: string; name: string; events: number }>>`
  select p.id, p.name, count(*)::int as events from event e
  join product p on p.id = e.product_id join environment env on env.id = e.environment_id
  where e.kind = 'deployment' and env.type = 'production' and e.status in ('completed', 'failed')
    and e.occurred_at >= ${new Date(dataNow - 30 * DAY)}
  group by p.id order by count(*) desc limit 1`
// what the routes read by default: the 30 days before now
const lastDays = (days: number) => {
  const to = new Date()
  return { from: new Date(to.getTime() - days * DAY).toISOString(), to: to.toISOString() }
}

const namespace = `benchapi${randomBytes(4).toString('hex')}`
const token = `shp_${randomBytes(24).toString('hex')}`
const gateway = await startService('gateway', {
  DATABASE_URL: seeded.url,
  NATS_URL: config.natsUrl,
  SHIPLOG_NAMESPACE: namespace,
  SHIPLOG_BOOTSTRAP_TOKEN: token,
})

const cells = await sql<Array<{ product_id: string; environment_id: string }>>`
  select product_id, environment_id from environment_state order by md5(product_id::text || environment_id::text)`

let pick = 0
let reportPick = 0
const every: Array<Target & { reads: Read[]; targetMs: number }> = [
  {
    name: 'GET /board',
    path: () => '/api/v1/board',
    targetMs: TARGET_P99_MS.core,
    reads: [
      { label: 'first read: state, environments, every cell', read: (s) => readBoard(s) },
      {
        label: 'after a change: 5 changed cells',
        read: (s) => readCells(s, { pairs: cells.slice(0, 5) }),
      },
    ],
  },
  {
    name: 'GET /releases/{id}',
    path: () => `/api/v1/releases/${releaseIds[pick++ % releaseIds.length]!}`,
    targetMs: TARGET_P99_MS.core,
    reads: [{ label: 'release, then its versions', read: (s) => readRelease(s, releaseIds[0]!) }],
  },
  {
    name: 'GET /releases?status=in_progress',
    path: () => '/api/v1/releases?status=in_progress',
    targetMs: TARGET_P99_MS.core,
    reads: [
      {
        label: 'a page of in-progress releases',
        read: (s) => listReleases(s, { status: ['in_progress'], limit: 50 }),
      },
    ],
  },
  {
    name: 'GET /releases/timeline',
    path: () => '/api/v1/releases/timeline',
    targetMs: TARGET_P99_MS.intelligence,
    reads: [{ label: 'first page', read: (s) => readTimeline(s, { limit: 100 }) }],
  },
  {
    name: `GET /releases/timeline?product=`,
    path: () => `/api/v1/releases/timeline?product=${encodeURIComponent(timelineProduct!.name)}`,
    targetMs: TARGET_P99_MS.intelligence,
    reads: [
      {
        label: `first page of ${timelineProduct!.name}'s`,
        read: (s) => readTimeline(s, { limit: 100, product: timelineProduct!.id }),
      },
    ],
  },
  {
    name: 'GET /releases/timeline?automatic=true',
    path: () => '/api/v1/releases/timeline?automatic=true',
    targetMs: TARGET_P99_MS.intelligence,
    reads: [{ label: 'first page', read: (s) => readTimeline(s, { limit: 100, automatic: true }) }],
  },
  {
    name: 'GET /releases/{id}/report',
    path: () => `/api/v1/releases/${reportIds[reportPick++ % reportIds.length]!}/report`,
    targetMs: TARGET_P99_MS.intelligence,
    reads: [{ label: 'a typical release', read: (s) => readReport(s, reportIds[0]!) }],
  },
  {
    name: 'GET /metrics/deployments',
    path: () => '/api/v1/metrics/deployments',
    targetMs: TARGET_P99_MS.intelligence,
    reads: [
      {
        label: '30 days by day',
        read: (s) => readDeploymentStats(s, { bucket: 'day', ...lastDays(30) }),
      },
    ],
  },
  {
    name: 'GET /metrics/dora',
    path: () => '/api/v1/metrics/dora',
    targetMs: TARGET_P99_MS.intelligence,
    reads: [{ label: '30 days, every product', read: (s) => readDora(s, lastDays(30)) }],
  },
  {
    name: 'GET /metrics/dora?product=',
    path: () => `/api/v1/metrics/dora?product=${encodeURIComponent(doraProduct!.name)}`,
    targetMs: TARGET_P99_MS.intelligence,
    reads: [
      {
        label: `30 days of ${doraProduct!.name}`,
        read: (s) => readDora(s, { ...lastDays(30), product: doraProduct!.id }),
      },
    ],
  },
]
const targets = every.filter(
  (t) => !config.only.length || config.only.some((o) => t.name.includes(o))
)

/**
 * While `run` goes, `perSecond` board cells change: each recomputed by the release service's own
 * recomputeCells in a transaction of its own, as a recorded deployment would (a new revision; the
 * content stays what the deployments say).
 */
async function withChanges<T>(perSecond: number, run: () => Promise<T>): Promise<T> {
  const writer = postgres(seeded.url, { max: 1, onnotice: () => {} })
  let stop = false
  let next = 0
  const changing = (async () => {
    const started = performance.now()
    for (let i = 0; !stop; i++) {
      const wait = started + (i * 1000) / perSecond - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      await writer.begin((tx) => recomputeCells(tx, [cells[next++ % cells.length]!]))
    }
  })()
  try {
    return await run()
  } finally {
    stop = true
    await changing
    await writer.end({ timeout: 5 })
  }
}

interface Row {
  endpoint: string
  mode: string
  sample: Sample
  cpu: CpuShare
  targetMs: number
}
const rows: Row[] = []
const load = new Load(gateway.origin, config.connections, { authorization: `Bearer ${token}` })
const backends = async () =>
  (
    await sql<Array<{ pid: number }>>`
      select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`
  ).map((r) => r.pid)

async function measure(
  { name: endpoint, targetMs }: { name: string; targetMs: number },
  mode: string,
  run: () => Promise<Sample>
) {
  const account = cpuAccount({ gateway: gateway.pid }, backends)
  await account.begin()
  const sample = await run()
  const cpu = await account.stop()
  rows.push({ endpoint, mode, sample, cpu, targetMs })
  const [p50, p99] = percentiles(sample.latencies, [50, 99])
  say(
    `  ${endpoint} ${mode}: ${(sample.count / sample.seconds).toFixed(0)} req/s, p50 ${p50!.toFixed(1)} ms, p99 ${p99!.toFixed(1)} ms` +
      (sample.errors ? `, ${sample.errors} errors (${sample.firstError})` : '')
  )
  return sample
}

let plans: Array<{ endpoint: string; explained: Explained[] }> = []
try {
  say(
    `gateway pid ${gateway.pid} on ${gateway.origin}; ${config.connections} connections, ` +
      `${config.warmup} s warm-up, ${config.seconds} s per phase`
  )
  for (const target of targets) {
    await load.closed(target, config.warmup)
    const ceiling = await measure(target, `closed loop, ${config.connections} clients`, () =>
      load.closed(target, config.seconds)
    )
    const max = ceiling.count / ceiling.seconds
    for (const fraction of config.fractions) {
      const rate = Math.max(1, Math.round(max * fraction))
      await measure(target, `open loop, ${rate} req/s (${fraction * 100}%)`, () =>
        load.open(target, rate, config.seconds)
      )
    }
    if (target.name === 'GET /board' && config.changes > 0) {
      // the lowest rate above, now with every change making the next request refresh the board
      const fraction = Math.min(...config.fractions)
      const rate = Math.max(1, Math.round(max * fraction))
      await measure(
        target,
        `open loop, ${rate} req/s (${fraction * 100}%), ${config.changes} cells changing/s`,
        () => withChanges(config.changes, () => load.open(target, rate, config.seconds))
      )
    }
  }
  say('explaining the queries behind each endpoint')
  plans = []
  for (const target of targets) {
    plans.push({ endpoint: target.name, explained: await explainReads(seeded.url, target.reads) })
  }
} finally {
  const rss = gateway.usage().rssBytes
  await load.close()
  await gateway.stop()
  await dropNamespace(namespace)
  await sql.end({ timeout: 5 })
  if (rows.length) print(rss)
}

function print(gatewayRss: number) {
  const fmt = (ms: number | undefined) =>
    ms === undefined || Number.isNaN(ms) ? '–' : ms.toFixed(1)
  const kb = (bytes: number) =>
    bytes >= 10_240 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024).toFixed(1)} KB`
  const planCell = (endpoint: string) =>
    (plans.find((p) => p.endpoint === endpoint)?.explained ?? [])
      .map((e) => `${e.access} (${e.executionMs.toFixed(1)} ms)`)
      .join('; ') || '–'
  const lines = [
    `### API read latency (\`pnpm bench:api\`)`,
    '',
    `Data: ${counts!.products} products, ${counts!.environments} environments, ` +
      `${counts!.versions.toLocaleString('en')} versions, ${counts!.deployments.toLocaleString('en')} deployments, ` +
      `${counts!.events.toLocaleString('en')} events, ${counts!.cells.toLocaleString('en')} board cells, ` +
      `${counts!.releases.toLocaleString('en')} releases (${counts!.automatic.toLocaleString('en')} automatic; ` +
      `${counts!.in_progress.toLocaleString('en')} in progress), over the year to ${seeded.seededAt.toISOString().slice(0, 16)}Z. ` +
      `Database ${seeded.cached ? 'reused from an earlier run' : `seeded in ${seeded.seconds.toFixed(0)} s`}.`,
    `Reports: ${reportIds.length} manual releases of 4–12 versions shipped 31–75 days before the data ends, in turn. ` +
      `Timeline ?product=${timelineProduct!.name} (in ${timelineProduct!.releases} releases, the median product); ` +
      `DORA ?product=${doraProduct!.name} (the most production deployments: ${doraProduct!.events} in 30 days).`,
    `Machine: ${facts.cpu}, ${facts.cores} cores, ${facts.memoryGiB} GiB, ${facts.kernel}; Node ${facts.node}; ` +
      `${facts.postgres} (${facts.pgSettings}). Load average before: ${facts.loadBefore}.`,
    `Gateway: the real process (services/gateway/src/main.ts), RSS ${(gatewayRss / 2 ** 20).toFixed(0)} MB at the end. ` +
      `Load: undici, ${config.connections} keep-alive connections, loopback; ${config.warmup} s warm-up, ${config.seconds} s per row. ` +
      `CPU columns: cores' worth used during the row by the gateway / our Postgres backends / the load generator / everything else on the machine.`,
    '',
    `| endpoint | response | mode | req/s | p50 ms | p99 ms | max ms | CPU gw / pg / gen / other | query plans (indexes; EXPLAIN ANALYZE time) |`,
    `| --- | --: | --- | --: | --: | --: | --: | --- | --- |`,
  ]
  for (const row of rows) {
    const [p50, p99, max] = percentiles(row.sample.latencies, [50, 99, 100])
    const miss = p99 !== undefined && p99 >= row.targetMs ? ' ✗' : ' ✓'
    const c = row.cpu
    // requests that failed, or that the open loop never sent because too many were waiting
    const lost = [
      row.sample.errors ? `${row.sample.errors} errors` : '',
      row.sample.dropped ? `${row.sample.dropped} not sent` : '',
    ].filter(Boolean)
    lines.push(
      `| ${row.endpoint} | ${kb(row.sample.bytes / Math.max(1, row.sample.count))} | ${row.mode} | ` +
        `${(row.sample.count / row.sample.seconds).toFixed(0)}${lost.length ? ` (${lost.join(', ')})` : ''} | ` +
        `${fmt(p50)} | ${fmt(p99)}${miss} | ${fmt(max)} | ` +
        `${[c.processes.gateway!, c.postgres, c.generator, c.others].map((x) => x.toFixed(2)).join(' / ')} | ` +
        `${row.mode.startsWith('closed') ? planCell(row.endpoint) : ''} |`
    )
  }
  lines.push(
    '',
    `✓/✗: p99 under/over the target: ${TARGET_P99_MS.core} ms for the board and releases, ` +
      `${TARGET_P99_MS.intelligence} ms for the timeline, reports, the chart and DORA.`,
    '',
    '#### Plans',
    ''
  )
  for (const { endpoint, explained } of plans) {
    lines.push(`${endpoint}:`)
    for (const e of explained) {
      lines.push(
        `- ${e.label}: ${e.executionMs.toFixed(2)} ms execution, ${e.planningMs.toFixed(2)} ms planning, ` +
          `${e.sharedHit} buffers hit / ${e.sharedRead} read${e.generic ? ', generic plan' : ''}: ` +
          `\`${e.sql.length > 140 ? e.sql.slice(0, 140) + '…' : e.sql}\``
      )
      lines.push(`  - ${e.nodes.join(' → ')}`)
    }
  }
  console.log(lines.join('\n'))
}

async function dropNamespace(ns: string) {
  const names = natsNames(ns)
  const nats = await connectNats({ url: config.natsUrl, name: 'bench-api', log })
  for (const stream of [
    names.eventStream,
    `KV_${names.tokenBucket}`,
    `KV_${names.versionBucket}`,
  ]) {
    await nats.jsm.streams.delete(stream).catch(() => undefined)
  }
  await nats.close()
}
