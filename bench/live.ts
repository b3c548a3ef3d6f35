/**
 * `pnpm bench:live`: the live board's fan-out. Runs Shiplog as real processes, puts 1,000
 * Socket.IO clients (in two processes of their own) in one release's room, posts deployments of
 * that release's versions to ingest at a steady rate, and reports how long each takes from the
 * POST's acknowledgement to its arrival in the clients, split at the release service's update
 * note; messages delivered per second; and the gateway's memory per connection. A benchmark: it
 * reports, never fails. Bounded: a fixed number of clients and posts, loopback only.
 *
 * The clients are, by default (`--client wire`), a light Socket.IO client of the benchmark's own
 * (live/clients.ts): the Engine.IO / Socket.IO protocol over `ws`, reading of each message only
 * its sequence number, type and event tags instead of parsing it. Each real viewer decodes its
 * messages with its own browser's CPU; here the clients share the machine's cores with Shiplog,
 * and with the `socket.io-client` library (~80 µs a message for each client) two client processes
 * on a 2-core box fell seconds behind, so the latencies measured the load generator, not Shiplog.
 * `--client socketio` uses the library (to check the wire client against it, or to see its cost).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

import { Update, natsNames } from '@shiplog/contracts'
import { connectNats, createLogger } from '@shiplog/kit'
import postgres from 'postgres'
import { Pool } from 'undici'

import { ENVIRONMENTS } from './api/dataset.ts'
import { cpuAccount, machineFacts, type CpuShare } from './api/machine.ts'
import { Histogram } from './live/histogram.ts'
import type { ClientKind, FromClients, ToClients } from './live/clients.ts'
import { startSystem, type GatewayMemory } from './live/system.ts'

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    processes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    /** Versions (one per product) in the release: its matrix is versions × 8 environments. */
    versions: { type: 'string', default: '10' },
    database: { type: 'string', default: 'shiplog_bench_live' },
    /** `wire` (the light client of live/clients.ts) or `socketio` (the socket.io-client library). */
    client: { type: 'string', default: 'wire' },
  },
})
// a type-only import: loading clients.ts here would make this process one of the clients
const CLIENT_KINDS: readonly ClientKind[] = ['wire', 'socketio']
if (!CLIENT_KINDS.includes(args.client as ClientKind)) {
  throw new Error(`--client must be one of ${CLIENT_KINDS.join(', ')}, not ${args.client}`)
}
const config = {
  adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222',
  database: args.database,
  clients: Number(args.clients),
  processes: Number(args.processes),
  rate: Number(args.rate),
  seconds: Number(args.seconds),
  warmup: Number(args.warmup),
  versions: Number(args.versions),
  client: args.client as ClientKind,
}
const TARGET_P99_MS = 100
const TARGET_BYTES_PER_CONNECTION = 20 * 1024
const say = (line: string) => console.error(line)
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const events = Math.round(config.rate * config.seconds)
const run = randomBytes(3).toString('hex')
const products = Array.from(
  { length: config.versions },
  (_, i) => `live-${String(i).padStart(2, '0')}`
)
// each posted event moves the next cell of the release's matrix, round robin, so an event stays
// visible (not yet overwritten) for cells / rate seconds: long enough for every flush to show it
const cellOf = (n: number) => ({
  product_name: products[n % products.length]!,
  environment_name: ENVIRONMENTS[Math.floor(n / products.length) % ENVIRONMENTS.length]!,
})

say(`starting Shiplog (release, ingest, gateway) on ${config.database}`)
const system = await startSystem({
  adminUrl: config.adminUrl,
  natsUrl: config.natsUrl,
  database: config.database,
})
const sql = postgres(system.databaseUrl, { max: 2, onnotice: () => {} })
const auth = { authorization: `Bearer ${system.token}`, 'content-type': 'application/json' }
const ingest = new Pool(system.ingest.origin, {
  connections: 16,
  pipelining: 1,
  headersTimeout: 15_000,
  bodyTimeout: 15_000,
})
const children: ChildProcess[] = []

async function post(body: object): Promise<number> {
  const res = await ingest.request({
    method: 'POST',
    path: '/v1/deployment-events',
    headers: auth,
    body: JSON.stringify(body),
  })
  await res.body.dump()
  return res.statusCode
}

async function api(method: string, path: string, body?: object) {
  const res = await fetch(`${system.gateway.origin}/api/v1${path}`, {
    method,
    headers: auth,
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as { id: string }
}

/** Posts `count` events at `rate`/s, each due at its own time (open loop); answers ack times. */
async function postAtRate(count: number, body: (n: number) => object) {
  const acks = new Array<number>(count).fill(0)
  const latency = new Histogram()
  let refused = 0
  const started = now()
  const pending: Array<Promise<void>> = []
  for (let n = 0; n < count; n++) {
    const due = started + (n * 1000) / config.rate
    const wait = due - now()
    if (wait > 1) await sleep(wait)
    if (n && n % (config.rate * 10) === 0) {
      say(`  ${n} posted, ${acks.filter(Boolean).length} acknowledged`)
    }
    pending.push(
      post(body(n)).then(
        (status) => {
          const at = now()
          if (status === 202 || status === 200) acks[n] = at
          else refused++
          latency.record(at - due)
        },
        () => {
          refused++
        }
      )
    )
  }
  await Promise.all(pending)
  return { acks, latency, refused, seconds: (now() - started) / 1000 }
}

try {
  const facts = await machineFacts(sql)

  // the release: one version per product, each deployed everywhere once so the matrix is full
  for (const product of products) {
    for (const environment of ENVIRONMENTS) {
      await post({
        product_name: product,
        version: '1.0.0',
        environment_name: environment,
        status: 'success',
        deployed_by: 'setup',
      })
    }
  }
  for (let tries = 0; ; tries++) {
    const [row] = await sql<Array<{ n: number }>>`select count(*)::int as n from deployment`
    if (row!.n >= products.length * ENVIRONMENTS.length) break
    if (tries > 300) throw new Error('setup deployments were not recorded within 30 s')
    await sleep(100)
  }
  const release = await api('POST', '/releases', { name: `Live benchmark ${run}` })
  for (const product of products) {
    await api('POST', `/releases/${release.id}/versions`, {
      product_name: product,
      version: '1.0.0',
    })
  }
  const room = `release:${release.id}`

  // when each event's commit was announced: splits the latency at the update note
  const names = natsNames(system.namespace)
  const nats = await connectNats({
    url: config.natsUrl,
    name: 'bench-live',
    log: createLogger('bench-live', 'warn'),
  })
  const notes = new Array<number>(events).fill(0)
  const ours = new RegExp(`^${run}-(\\d+)$`)
  nats.nc.subscribe(names.updateSubject, {
    callback: (_err, msg) => {
      const at = now()
      const update = Update.safeParse(msg.json())
      if (!update.success) return
      for (const id of update.data.events) {
        const n = ours.exec(id)?.[1]
        if (n !== undefined && !notes[Number(n)]) notes[Number(n)] = at
      }
    },
  })

  await sleep(2000)
  const idle = await system.gatewayMemory()
  say(
    `gateway idle: RSS ${(idle.rssBytes / 2 ** 20).toFixed(1)} MB, heap ${(idle.heapUsedBytes / 2 ** 20).toFixed(1)} MB`
  )

  // the clients, in processes of their own
  const perProcess = Math.ceil(config.clients / config.processes)
  const results: Array<Extract<FromClients, { type: 'result' }>> = []
  const connected = await Promise.all(
    Array.from({ length: config.processes }, (_, i) => {
      const count = Math.min(perProcess, config.clients - i * perProcess)
      const child = fork(new URL('./live/clients.ts', import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
      child.on('message', (m: FromClients) => {
        if (m.type === 'result') results.push(m)
        if (m.type === 'progress') {
          say(
            `  clients ${i}: ${m.messages} messages so far, event-loop delay p99 ${m.lagP99Ms.toFixed(0)} ms`
          )
        }
      })
      return new Promise<Extract<FromClients, { type: 'connected' }>>((resolve, reject) => {
        child.once('message', (m: FromClients) =>
          m.type === 'connected' ? resolve(m) : reject(new Error('unexpected message'))
        )
        child.once('exit', (code) => reject(new Error(`client process exited (${code})`)))
        const start: ToClients = {
          type: 'connect',
          client: config.client,
          url: system.gateway.origin,
          token: system.token,
          room,
          count,
          events,
          cells: products.length * ENVIRONMENTS.length,
        }
        child.send(start)
      })
    })
  )
  const sockets = connected.reduce((a, c) => a + c.connected, 0)
  const failed = connected.reduce((a, c) => a + c.failed, 0)
  say(
    `${sockets} clients connected and subscribed in ${(Math.max(...connected.map((c) => c.ms)) / 1000).toFixed(1)} s` +
      (failed ? `, ${failed} failed (${connected.find((c) => c.firstError)?.firstError})` : '')
  )
  await sleep(3000)
  const withClients = await system.gatewayMemory()

  say(`warm-up: ${config.warmup} s at ${config.rate} deployments/s`)
  await postAtRate(Math.round(config.rate * config.warmup), (n) => ({
    ...cellOf(n),
    version: '1.0.0',
    status: 'success',
    deployed_by: 'warmup',
  }))
  for (const child of children) child.send({ type: 'measure' } satisfies ToClients)
  await sleep(200)

  say(`measuring: ${events} deployments at ${config.rate}/s`)
  const backends = async () =>
    (
      await sql<Array<{ pid: number }>>`
        select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`
    ).map((r) => r.pid)
  const account = cpuAccount(
    {
      gateway: system.gateway.pid,
      ingest: system.ingest.pid,
      release: system.release.pid,
      ...Object.fromEntries(children.map((c, i) => [`clients${i}`, c.pid!])),
    },
    backends
  )
  await account.begin()
  const posted = await postAtRate(events, (n) => ({
    ...cellOf(n),
    version: '1.0.0',
    status: 'success',
    deployed_by: `lb${n}`,
    event_id: `${run}-${n}`,
  }))
  // the last events' way to the clients
  await sleep(3000)
  const cpu = await account.stop()
  const afterLoad = await system.gatewayMemory()
  const window = posted.seconds + 3

  // a client process far behind its sockets answers late; one that died never does
  const done = Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('a client process did not answer')),
            120_000
          )
          child.on('message', (m: FromClients) => {
            if (m.type !== 'result') return
            clearTimeout(timer)
            resolve()
          })
          child.once('exit', () => {
            clearTimeout(timer)
            // the result, when sent, arrived before the exit
            setTimeout(() => reject(new Error('a client process exited without its result')), 1000)
          })
        })
    )
  )
  for (const child of children) {
    child.send({ type: 'finish', acks: posted.acks, notes } satisfies ToClients)
  }
  await done
  await nats.close()

  const toClient = new Histogram()
  for (const r of results) toClient.merge(r.latency)
  const noteToClient = new Histogram()
  for (const r of results) noteToClient.merge(r.fromNote)
  const toNote = new Histogram()
  let noted = 0
  for (let n = 0; n < events; n++) {
    if (posted.acks[n] && notes[n]) {
      noted++
      toNote.record(Math.max(0, notes[n]! - posted.acks[n]!))
    }
  }
  const messages = results.reduce((a, r) => a + r.messages, 0)
  const observed = results.reduce((a, r) => a + r.observed, 0)
  const exact = results.reduce((a, r) => a + r.exact, 0)
  const possible = results.reduce((a, r) => a + r.possible, 0)
  const early = results.reduce((a, r) => a + r.early, 0)
  const gaps = results.reduce((a, r) => a + r.gaps, 0)
  const resyncs = results.reduce((a, r) => a + r.resyncs, 0)
  const messageBytes = Math.max(...results.map((r) => r.messageBytes))
  const lagP99Ms = Math.max(...results.map((r) => r.lagP99Ms))
  const lag = `${lagP99Ms.toFixed(0)} / ${Math.max(...results.map((r) => r.lagMaxMs)).toFixed(0)} ms`

  print({
    facts,
    sockets,
    failed,
    posted,
    toClient,
    toNote,
    noteToClient,
    noted,
    messages,
    window,
    observed,
    exact,
    possible,
    early,
    gaps,
    resyncs,
    messageBytes,
    lag,
    lagP99Ms,
    memory: { idle, withClients, afterLoad },
    cpu,
  })
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await ingest.close()
  await sql.end({ timeout: 5 })
  await system.stop()
}

function print(r: {
  facts: Awaited<ReturnType<typeof machineFacts>>
  sockets: number
  failed: number
  posted: Awaited<ReturnType<typeof postAtRate>>
  toClient: Histogram
  toNote: Histogram
  noteToClient: Histogram
  noted: number
  messages: number
  window: number
  observed: number
  exact: number
  possible: number
  early: number
  gaps: number
  resyncs: number
  messageBytes: number
  lag: string
  lagP99Ms: number
  memory: Record<'idle' | 'withClients' | 'afterLoad', GatewayMemory>
  cpu: CpuShare
}) {
  const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(1) : x.toFixed(0))
  const pct = (h: Histogram) => `${ms(h.percentile(50))} / ${ms(h.percentile(99))} / ${ms(h.max)}`
  const perConnection = (key: keyof GatewayMemory, to: 'withClients' | 'afterLoad') =>
    (r.memory[to][key] - r.memory.idle[key]) / Math.max(1, r.sockets)
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
  const rate = (r.posted.acks.filter(Boolean).length / r.posted.seconds).toFixed(0)
  const c = r.cpu
  const clientsCpu = Object.entries(c.processes)
    .filter(([k]) => k.startsWith('clients'))
    .reduce((a, [, v]) => a + v, 0)
  const p99 = r.toClient.percentile(99)
  const lines = [
    '### Live fan-out (`pnpm bench:live`)',
    '',
    `${r.sockets} Socket.IO clients (WebSocket, one connection each, ${config.processes} processes; ${config.client === 'wire' ? "the benchmark's wire client, which reads of each message its sequence number, type and event tags" : 'socket.io-client, which decodes every message in full'}) in one release's room` +
      (r.failed ? ` (${r.failed} failed to connect)` : '') +
      `; the release holds ${config.versions} versions × ${ENVIRONMENTS.length} environments; each posted deployment moves the next of its ${config.versions * ENVIRONMENTS.length} cells. ` +
      `${events} deployments posted to ingest open loop at ${config.rate}/s (${rate}/s acknowledged, ${r.posted.refused} refused) after ${config.warmup} s of warm-up. ` +
      `Every service is its real process; the gateway coalesces a room's changes into at most one message per ${process.env.SHIPLOG_LIVE_INTERVAL_MS ?? '100'} ms${process.env.SHIPLOG_LIVE_INTERVAL_MS ? ' (SHIPLOG_LIVE_INTERVAL_MS)' : ' (the default)'}: the release with the matrix rows that moved, ${kb(r.messageBytes)} of JSON on average.`,
    `Machine: ${r.facts.cpu}, ${r.facts.cores} cores, ${r.facts.memoryGiB} GiB; Node ${r.facts.node}; ${r.facts.postgres}; NATS on loopback. Load average before: ${r.facts.loadBefore}.`,
    '',
    '| measure | p50 / p99 / max, or value | target |',
    '| --- | --- | --- |',
    `| POST acknowledged → seen by a client | ${pct(r.toClient)} ms | p99 < ${TARGET_P99_MS} ms ${p99 < TARGET_P99_MS ? '✓' : '✗'} |`,
    `| … of which POST acknowledged → update note published (ingest, JetStream, release service commit) | ${pct(r.toNote)} ms (notes of ${r.noted} of ${r.posted.acks.filter(Boolean).length} events seen) | |`,
    `| … and update note → seen by a client (the gateway: coalescing, reading the release, sending) | ${pct(r.noteToClient)} ms | |`,
    `| POST sent → 202 (open loop, from the scheduled time) | ${pct(r.posted.latency)} ms | |`,
    `| events that reached the clients | ${((100 * r.observed) / Math.max(1, r.possible)).toFixed(1)} % of ${r.possible.toLocaleString('en')} (event, client) pairs; ${((100 * r.exact) / Math.max(1, r.possible)).toFixed(1)} % shown as such, the rest overtaken in their cell by a later event first (then timed at that one's arrival); ${r.early} before their 202 was read (counted 0 ms) | |`,
    `| messages delivered | ${(r.messages / r.window).toFixed(0)}/s to all clients (${(r.messages / r.window / Math.max(1, r.sockets)).toFixed(1)}/s per client); ${r.gaps} sequence gaps, ${r.resyncs} resyncs | |`,
    `| client processes' event-loop delay while measuring (p99 / max; their lag is in the latency above) | ${r.lag} | |`,
    `| gateway memory per connection (connected and subscribed, idle) | RSS ${kb(perConnection('rssBytes', 'withClients'))}; JS heap used ${kb(perConnection('heapUsedBytes', 'withClients'))} (held ${kb(perConnection('heapTotalBytes', 'withClients'))}), external ${kb(perConnection('externalBytes', 'withClients'))} | < 20 KB: heap ${perConnection('heapUsedBytes', 'withClients') < TARGET_BYTES_PER_CONNECTION ? '✓' : '✗'}, RSS ${perConnection('rssBytes', 'withClients') < TARGET_BYTES_PER_CONNECTION ? '✓' : '✗'} |`,
    `| … after the load | RSS ${kb(perConnection('rssBytes', 'afterLoad'))}; JS heap used ${kb(perConnection('heapUsedBytes', 'afterLoad'))} (held ${kb(perConnection('heapTotalBytes', 'afterLoad'))}), external ${kb(perConnection('externalBytes', 'afterLoad'))} | |`,
    `| gateway RSS: idle / ${r.sockets} clients / after load | ${(r.memory.idle.rssBytes / 2 ** 20).toFixed(0)} / ${(r.memory.withClients.rssBytes / 2 ** 20).toFixed(0)} / ${(r.memory.afterLoad.rssBytes / 2 ** 20).toFixed(0)} MB | |`,
    `| CPU (cores' worth) while measuring | gateway ${c.processes.gateway!.toFixed(2)}, clients ${clientsCpu.toFixed(2)}, release ${c.processes.release!.toFixed(2)}, ingest ${c.processes.ingest!.toFixed(2)}, Postgres ${c.postgres.toFixed(2)}, poster ${c.generator.toFixed(2)}, others ${c.others.toFixed(2)}, idle ${c.idle.toFixed(2)} | |`,
    '',
    ...(r.lagP99Ms > 50
      ? [
          `The client processes fell behind their sockets (event-loop delay p99 ${r.lagP99Ms.toFixed(0)} ms): they ${config.client === 'wire' ? 'scan' : 'decode'} every message in full, ${(((r.messages / r.window) * r.messageBytes) / 2 ** 20).toFixed(0)} MB/s of JSON here, on the same cores as Shiplog. Latencies above include that lag; fewer clients or a smaller release (--versions)${config.client === 'wire' ? '' : ', or the default --client wire,'} measure the system rather than the generator.`,
          '',
        ]
      : []),
    `Memory is read in the gateway right after a full garbage collection (bench/live/memory-probe.ts, preloaded): the heap is live objects; RSS also holds native buffers and pages V8 keeps.`,
  ]
  console.log(lines.join('\n'))
}
