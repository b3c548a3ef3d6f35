/**
 * The pipeline in one test process: a real ingest app (called with app.request, no port) and
 * one or more release services, on a database and NATS namespace of the test's own.
 */
import { natsNames, type NatsNames } from '@shiplog/contracts'
import { createIngestApp } from '@shiplog/ingest/app'
import { createPublisher } from '@shiplog/ingest/publisher'
import { TokenStore, ensureStream, eventStreamConfig, openKv, type Nats } from '@shiplog/kit'
import type { Server } from 'node:http'

import { serve } from '@hono/node-server'
import { createGatewayApp } from '@shiplog/gateway/app'
import { attachLive } from '@shiplog/gateway/live'
import { createReleaseRpc } from '@shiplog/gateway/rpc-client'
import { connectPostgres as connectGatewayPostgres } from '@shiplog/gateway/db'
import { createReleaseService } from '@shiplog/release/app'
import { connectPostgres, type Sql } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import {
  connectTestNats,
  createTestDatabase,
  dropNamespace,
  eventually,
  testLogger,
  testNamespace,
} from '@shiplog/testing'

export interface PipelineOptions {
  dedupeWindowMs?: number
  maxAttempts?: number
  retryBaseMs?: number
  maxBatch?: number
  /** Number of release service instances sharing the consumer. */
  releases?: number
  /** Lets a test route the release service's Postgres connection (through a proxy). */
  releaseDatabaseUrl?: (url: string) => string
  /** Lets a test route ingest's NATS connection (through a proxy). */
  ingestNatsUrl?: string
  /** Start with no release service (a test starts them itself). */
  startReleases?: boolean
  /** Let anonymous clients read the gateway. */
  publicRead?: boolean
}

export type Role = 'admin' | 'writer' | 'reader' | 'ingest'

export interface Pipeline {
  sql: Sql
  names: NatsNames
  nats: Nats
  databaseUrl: string
  token: string
  tokens: TokenStore
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  /** Posts a deployment (production and success unless given) and waits until it is recorded. */
  deploy(fields: Record<string, unknown>): Promise<string>
  /** Calls the gateway's API (paths under /api/v1) as one of the test's tokens. */
  api(
    method: string,
    path: string,
    body?: unknown,
    as?: Role | null
  ): Promise<{ status: number; body: any; headers: Headers }>
  gateway: ReturnType<typeof createGatewayApp>
  secrets: Record<Role, string>
  /** Serves the gateway (API and Socket.IO) on a real port; several may run side by side. */
  serveGateway(options?: {
    intervalMs?: number
    maxBacklogBytes?: number
  }): Promise<{ url: string; live: ReturnType<typeof attachLive>; close(): Promise<void> }>
  startRelease(): Promise<{ stop(): Promise<void> }>
  streamMessages(): Promise<number>
  stop(): Promise<void>
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const log = testLogger()
  const db = await createTestDatabase()
  const sql = connectPostgres(db.url, log)
  await migrate(sql, log)
  const names = natsNames(testNamespace())
  const stream = {
    duplicateWindowMs: options.dedupeWindowMs ?? 120_000,
    maxBytes: 256 * 1024 * 1024,
  }

  const admin = await connectTestNats('admin')
  const nats = options.ingestNatsUrl
    ? await connectTestNats('ingest', options.ingestNatsUrl)
    : admin
  await ensureStream(admin.jsm, eventStreamConfig(names, stream))
  const tokens = await TokenStore.open(nats, names, log)
  const token = (await tokens.create({ name: 'ci', scopes: ['ingest'], createdBy: null })).secret
  const publisher = createPublisher({
    nats,
    names,
    shas: await openKv(nats, names.versionBucket),
    log,
    maxInFlight: 10_000,
    timeoutMs: 2000,
  })
  const ingest = createIngestApp({
    tokens,
    publisher,
    log,
    limits: { bodyBytes: 256 * 1024, batchBytes: 16 * 1024 * 1024 },
    readiness: { nats: () => nats.isConnected() },
  })

  const secrets = {} as Record<Role, string>
  const scopes = {
    admin: ['admin'],
    writer: ['write'],
    reader: ['read'],
    ingest: ['ingest'],
  } as const
  for (const role of Object.keys(scopes) as Role[]) {
    secrets[role] = (
      await tokens.create({ name: `${role}-token`, scopes: [...scopes[role]], createdBy: null })
    ).secret
  }
  const gatewaySql = connectGatewayPostgres(db.url, log)
  const gateway = createGatewayApp({
    sql: gatewaySql,
    rpc: createReleaseRpc(admin, names, log, 5000),
    tokens,
    log,
    publicRead: options.publicRead ?? false,
    readiness: { nats: () => admin.isConnected() },
  })

  const stops: Array<() => Promise<void>> = []
  async function startRelease() {
    const rsql = connectPostgres(options.releaseDatabaseUrl?.(db.url) ?? db.url, log)
    const rnats = await connectTestNats('release')
    const service = await createReleaseService({
      sql: rsql,
      nats: rnats,
      log,
      namespace: names.namespace,
      stream,
      maxBatch: options.maxBatch ?? 500,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseMs: options.retryBaseMs ?? 100,
    })
    service.start()
    const stop = async () => {
      await service.stop()
      await rnats.close()
      await rsql.end({ timeout: 1 })
    }
    stops.push(stop)
    return { stop }
  }
  if (options.startReleases !== false) {
    for (let i = 0; i < (options.releases ?? 1); i++) await startRelease()
  }

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    ingest.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body:
        typeof body === 'string' || body instanceof ReadableStream ? body : JSON.stringify(body),
      // a stream body (chunked upload) needs half-duplex; Node's RequestInit type lacks the key
      ...{ duplex: 'half' },
    })

  return {
    sql,
    names,
    nats: admin,
    databaseUrl: db.url,
    token,
    tokens,
    startRelease,
    post,
    gateway,
    secrets,
    async serveGateway({ intervalMs, maxBacklogBytes } = {}) {
      const server = await new Promise<Server>((resolve) => {
        const s = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' }, () =>
          resolve(s)
        ) as Server
      })
      const live = attachLive(server, {
        sql: gatewaySql,
        nats: admin,
        names,
        tokens,
        log,
        publicRead: options.publicRead ?? false,
        ...(intervalMs ? { intervalMs } : {}),
        ...(maxBacklogBytes ? { maxBacklogBytes } : {}),
      })
      const { port } = server.address() as { port: number }
      let closing: Promise<void> | undefined
      const close = () => (closing ??= live.close())
      stops.unshift(close)
      return { url: `http://127.0.0.1:${port}`, live, close }
    },
    async api(method, path, body, as = 'admin') {
      const headers: Record<string, string> = {}
      if (as) headers.authorization = `Bearer ${secrets[as]}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await gateway.request(`/api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined
          ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
          : {}),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
    },
    async deploy(fields) {
      const res = await post('/v1/deployment-events', {
        environment_name: 'production',
        status: 'success',
        ...fields,
      })
      if (res.status !== 202) throw new Error(`deploy answered ${res.status}: ${await res.text()}`)
      const { id } = (await res.json()) as { id: string }
      await eventually(async () => {
        if (!(await sql`select 1 from event where id = ${id}`).length) {
          throw new Error(`event ${id} not recorded`)
        }
      })
      return id
    },
    streamMessages: async () => (await admin.jsm.streams.info(names.eventStream)).state.last_seq,
    async stop() {
      await Promise.all(stops.map((s) => s()))
      tokens.stop()
      await dropNamespace(admin, names)
      if (nats !== admin) await nats.close()
      await admin.close()
      await sql.end({ timeout: 1 })
      await gatewaySql.end({ timeout: 1 })
      await db.drop()
    },
  }
}

let counter = 0
/** A deployment event with a unique product unless one is given. */
export function deployment<T extends Record<string, unknown>>(fields: T = {} as T) {
  counter++
  return {
    product_name: `svc-${process.pid}-${counter}`,
    version: '1.0.0',
    environment_name: 'production',
    status: 'completed',
    ...fields,
  }
}
