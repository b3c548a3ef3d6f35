/**
 * The physical limits the pipeline is judged against, measured in the same run on the same
 * servers: how fast Node can publish our events to JetStream (async, a bounded window of
 * unacknowledged publishes, the event stream's real settings); how fast Postgres takes them into
 * the real `event` table (multi-row INSERT … ON CONFLICT as the release service writes, and
 * COPY); and how fast Hono answers a POST that does nothing. Each is bounded in count and time.
 */
import { join } from 'node:path'

import {
  environmentId,
  inferEnvironmentType,
  natsNames,
  productId,
  versionId,
} from '@shiplog/contracts'
import { connectNats, createLogger, ensureStream, eventStreamConfig } from '@shiplog/kit'
import { connectPostgres } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import postgres from 'postgres'

import { freePort, spawnChild, stopChild, waitFor } from '../faults/support/children.ts'
import { IngestClient } from '../faults/support/ingest-client.ts'
import { REPO_ROOT } from '../faults/support/paths.ts'
import { eventSource, publishedForm, type BenchEvent } from './events.ts'

const silent = createLogger('bench', 'silent')

export interface Throughput {
  perSecond: number
  count: number
  seconds: number
  /** What was varied, when the best of several settings is reported. */
  detail?: string
}

/** Async JetStream publish with `window` PubAcks outstanding, each with its own Nats-Msg-Id. */
export async function jetstreamPublish(
  natsUrl: string,
  { windows = [32, 256], maxCount = 100_000, maxMs = 8000 } = {}
): Promise<Throughput> {
  const nats = await connectNats({
    url: natsUrl,
    name: 'bench-raw',
    log: silent,
    timeoutMs: 10_000,
  })
  let best: Throughput | undefined
  try {
    for (const window of windows) {
      const names = natsNames(`raw${window}_${Date.now().toString(36)}`)
      await ensureStream(nats.jsm, eventStreamConfig(names))
      const next = eventSource(`raw${window}`)
      const subject = names.eventSubject('deployment')
      // payloads made up front: the baseline times publishing, not JSON.stringify
      const payloads = Array.from({ length: Math.min(maxCount, 20_000) }, () => {
        const event = next()
        return { id: event.id, data: publishedForm(event) }
      })
      const started = performance.now()
      let sent = 0
      let acked = 0
      await new Promise<void>((resolve, reject) => {
        const pump = () => {
          while (sent - acked < window && sent < maxCount && performance.now() - started < maxMs) {
            const p = payloads[sent % payloads.length]!
            const seq = sent++
            nats.js.publish(subject, p.data, { msgID: `${p.id}-${seq}` }).then(() => {
              acked++
              if (acked === sent && (sent >= maxCount || performance.now() - started >= maxMs)) {
                resolve()
              } else {
                pump()
              }
            }, reject)
          }
        }
        pump()
      })
      const seconds = (performance.now() - started) / 1000
      const result = {
        perSecond: acked / seconds,
        count: acked,
        seconds,
        detail: `window ${window}`,
      }
      if (!best || result.perSecond > best.perSecond) best = result
      await nats.jsm.streams.delete(names.eventStream)
    }
  } finally {
    await nats.close()
  }
  return best!
}

interface EventRow {
  id: string
  stream_seq: number
  kind: string
  product_id: string
  version_id: string
  environment_id: string
  status: string
  occurred_at: string
  received_at: string
  outcome: string
  reporter: string
  payload: string
}

function eventRows(events: BenchEvent[], firstSeq: number): EventRow[] {
  return events.map((e, i) => {
    const b = e.body as Record<string, string>
    const at = new Date().toISOString()
    return {
      id: e.id,
      stream_seq: firstSeq + i,
      kind: 'deployment',
      product_id: productId(b.product_name!),
      version_id: versionId(b.product_name!, b.version!),
      environment_id: environmentId(b.environment_name!),
      status: b.status === 'success' ? 'completed' : b.status!,
      occurred_at: b.completed_at!,
      received_at: at,
      outcome: 'applied',
      reporter: 'bootstrap',
      payload: publishedForm(e),
    }
  })
}

const csv = (v: string | number) => `"${String(v).replaceAll('"', '""')}"`

/**
 * Rows per second into a fresh, migrated Shiplog database, `batch` rows per transaction:
 * multi-row INSERT … ON CONFLICT DO NOTHING (what the release service does), and COPY.
 */
export async function postgresInsert(
  serverUrl: (db: string) => string,
  { batch = 500, maxRows = 60_000, maxMs = 8000 } = {}
): Promise<{ insert: Throughput; copy: Throughput }> {
  const database = `bench_raw_${Date.now().toString(36)}`
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${database}`)
  const sql = connectPostgres(serverUrl(database), silent, { max: 2, name: 'bench-raw' })
  try {
    await migrate(sql, silent)
    const next = eventSource('rawpg')
    const events = Array.from({ length: maxRows * 2 }, next)
    await insertCatalog(sql, events)
    const chunks = (from: number) =>
      Array.from({ length: maxRows / batch }, (_, i) =>
        events.slice(from + i * batch, from + (i + 1) * batch)
      )

    const insert = await timed(chunks(0), maxMs, async (chunk, i) => {
      const rows = eventRows(chunk, i * batch + 1).map((r) => ({
        ...r,
        payload: sql.json(JSON.parse(r.payload) as postgres.JSONValue),
      }))
      await sql.begin(async (tx) => {
        await tx`insert into event ${tx(rows)} on conflict (id) do nothing`
      })
    })
    const columns = Object.keys(eventRows(events.slice(0, 1), 0)[0]!)
    const copy = await timed(chunks(maxRows), maxMs, async (chunk, i) => {
      const rows = eventRows(chunk, maxRows + i * batch + 1)
      const text =
        rows.map((r) => columns.map((c) => csv(r[c as keyof EventRow])).join(',')).join('\n') + '\n'
      const stream = await sql
        .unsafe(`copy event (${columns.join(', ')}) from stdin with (format csv)`)
        .writable()
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject)
        stream.end(text, () => resolve())
      })
    })
    return {
      insert: { ...insert, detail: `${batch} rows/transaction` },
      copy: { ...copy, detail: `${batch} rows/COPY` },
    }
  } finally {
    await sql.end({ timeout: 2 })
    await admin.unsafe(`drop database if exists ${database} with (force)`)
    await admin.end({ timeout: 2 })
  }
}

async function insertCatalog(sql: postgres.Sql, events: BenchEvent[]) {
  const products = new Map<string, { id: string; name: string }>()
  const versions = new Map<string, { id: string; product_id: string; version: string }>()
  const environments = new Map<string, { id: string; name: string; type: string }>()
  for (const e of events) {
    const b = e.body as Record<string, string>
    products.set(b.product_name!, { id: productId(b.product_name!), name: b.product_name! })
    versions.set(`${b.product_name}@${b.version}`, {
      id: versionId(b.product_name!, b.version!),
      product_id: productId(b.product_name!),
      version: b.version!,
    })
    environments.set(b.environment_name!, {
      id: environmentId(b.environment_name!),
      name: b.environment_name!,
      type: inferEnvironmentType(b.environment_name!),
    })
  }
  await sql`insert into product ${sql([...products.values()])}`
  await sql`insert into environment ${sql([...environments.values()])}`
  const all = [...versions.values()]
  for (let i = 0; i < all.length; i += 1000) {
    await sql`insert into version ${sql(all.slice(i, i + 1000))}`
  }
}

async function timed<T>(
  items: T[],
  maxMs: number,
  fn: (item: T, index: number) => Promise<void>
): Promise<Throughput> {
  const started = performance.now()
  let count = 0
  let i = 0
  for (const item of items) {
    if (performance.now() - started > maxMs) break
    await fn(item, i++)
    count += (item as unknown[]).length
  }
  const seconds = (performance.now() - started) / 1000
  return { perSecond: count / seconds, count, seconds }
}

/**
 * Hono answering POSTs with no work, in a process of its own, loaded closed-loop (as fast as
 * `connections` keep-alive connections allow) with the same body ingest gets.
 */
export async function rawHttp(
  dir: string,
  { connections = 64, ms = 5000 } = {}
): Promise<Throughput & { pid?: number }> {
  const port = await freePort()
  const child = spawnChild('raw-hono', process.execPath, ['--import', 'tsx', 'bench/raw-hono.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, RAW_HONO_PORT: String(port) },
    logFile: join(dir, 'raw-hono.log'),
  })
  const url = `http://127.0.0.1:${port}`
  const client = new IngestClient(url, { token: 'none', connections })
  try {
    await waitFor(async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined), {
      timeoutMs: 30_000,
      message: 'raw Hono server did not start',
    })
    const next = eventSource('rawhttp')
    const bodies = Array.from({ length: 1000 }, () => JSON.stringify(next().body))
    // warm up (JIT, connections), then measure
    await closedLoop(client, bodies, connections, 1000)
    const started = performance.now()
    const count = await closedLoop(client, bodies, connections, ms)
    const seconds = (performance.now() - started) / 1000
    return { perSecond: count / seconds, count, seconds, detail: `${connections} connections` }
  } finally {
    await client.close()
    await stopChild(child)
  }
}

async function closedLoop(client: IngestClient, bodies: string[], connections: number, ms: number) {
  const end = performance.now() + ms
  let count = 0
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = c; performance.now() < end; i += connections) {
        const answer = await client.post('/', bodies[i % bodies.length]!, { parse: false })
        if (answer.status === 202) count++
      }
    })
  )
  return count
}
