/**
 * All of Shiplog as real processes for `pnpm bench:live`: the release service, ingest and the
 * gateway, each `services/<name>/src/main.ts` configured by environment as an operator would, on a
 * database and a NATS namespace of their own (both removed afterwards) and free loopback ports.
 * The gateway runs with ./memory-probe.ts preloaded, which is how its heap is read from outside
 * without changing it.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { natsNames } from '@shiplog/contracts'
import { connectNats, createLogger } from '@shiplog/kit'
import postgres from 'postgres'

import { startService, type ServiceProcess } from '../api/service.ts'

export interface GatewayMemory {
  rssBytes: number
  /** Live JS objects. */
  heapUsedBytes: number
  /** What V8 holds for the heap, used or not. */
  heapTotalBytes: number
  /** Memory of native objects tied to JS ones (buffers among them). */
  externalBytes: number
}

export interface System {
  databaseUrl: string
  namespace: string
  token: string
  release: ServiceProcess
  ingest: ServiceProcess
  gateway: ServiceProcess
  /** The gateway's memory right after a full garbage collection. */
  gatewayMemory(): Promise<GatewayMemory>
  stop(): Promise<void>
}

export async function startSystem(options: {
  adminUrl: string
  natsUrl: string
  database: string
}): Promise<System> {
  const namespace = `benchlive${randomBytes(4).toString('hex')}`
  const token = `shp_${randomBytes(24).toString('hex')}`
  const url = new URL(options.adminUrl)
  url.pathname = `/${options.database}`
  const admin = postgres(options.adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists "${options.database}" with (force)`)
  await admin.end()
  const scratch = mkdtempSync(join(tmpdir(), 'shiplog-bench-live-'))
  const memoryFile = join(scratch, 'gateway-memory.json')
  const env = {
    DATABASE_URL: url.toString(),
    NATS_URL: options.natsUrl,
    SHIPLOG_NAMESPACE: namespace,
    SHIPLOG_BOOTSTRAP_TOKEN: token,
    SHIPLOG_STREAM_MAX_BYTES: String(256 * 1024 ** 2),
  }
  const started: ServiceProcess[] = []
  try {
    // the release service creates the database, the schema, the stream and its consumer
    started.push(await startService('release', env))
    started.push(await startService('ingest', env))
    started.push(
      await startService(
        'gateway',
        { ...env, BENCH_MEMORY_FILE: memoryFile },
        {
          nodeArgs: [
            '--expose-gc',
            '--import',
            fileURLToPath(new URL('./memory-probe.ts', import.meta.url)),
          ],
        }
      )
    )
  } catch (err) {
    for (const s of started.reverse()) await s.stop()
    rmSync(scratch, { recursive: true, force: true })
    throw err
  }
  const [release, ingest, gateway] = started as [ServiceProcess, ServiceProcess, ServiceProcess]

  return {
    databaseUrl: url.toString(),
    namespace,
    token,
    release,
    ingest,
    gateway,
    async gatewayMemory() {
      rmSync(memoryFile, { force: true })
      process.kill(gateway.pid, 'SIGUSR2')
      const deadline = Date.now() + 10_000
      while (!existsSync(memoryFile)) {
        if (Date.now() > deadline) throw new Error('the gateway did not report its memory')
        await new Promise((r) => setTimeout(r, 20))
      }
      const usage = JSON.parse(readFileSync(memoryFile, 'utf8')) as NodeJS.MemoryUsage
      return {
        rssBytes: usage.rss,
        heapUsedBytes: usage.heapUsed,
        heapTotalBytes: usage.heapTotal,
        externalBytes: usage.external,
      }
    },
    async stop() {
      for (const s of [gateway, ingest, release]) await s.stop()
      rmSync(scratch, { recursive: true, force: true })
      const log = createLogger('bench-live', 'warn')
      const nats = await connectNats({ url: options.natsUrl, name: 'bench-live', log })
      const names = natsNames(namespace)
      for (const stream of [
        names.eventStream,
        `KV_${names.tokenBucket}`,
        `KV_${names.versionBucket}`,
      ]) {
        await nats.jsm.streams.delete(stream).catch(() => undefined)
      }
      await nats.close()
      const sql = postgres(options.adminUrl, { max: 1, onnotice: () => {} })
      await sql.unsafe(`drop database if exists "${options.database}" with (force)`)
      await sql.end()
    },
  }
}
