/**
 * The whole of Shiplog as it runs in production, for the browser tests: the dashboard built by
 * Vite, and the release service, ingest and the gateway as child processes on free ports, on a
 * database and NATS namespace of the test file's own (from the TEST_* servers the global setup
 * found). Everything is stopped and removed afterwards; only processes started here are signalled.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { natsNames } from '@shiplog/contracts'
import {
  connectTestNats,
  createTestDatabase,
  dropNamespace,
  testNamespace,
  type TestDatabase,
} from '@shiplog/testing'
import { inject } from 'vitest'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

type ServiceName = 'release' | 'ingest' | 'gateway'
const PORT_VAR: Record<ServiceName, string> = {
  release: 'RELEASE_PORT',
  ingest: 'INGEST_PORT',
  gateway: 'GATEWAY_PORT',
}

const live = new Set<ChildProcess>()
// a failed or interrupted run must not leave services behind
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Builds the dashboard into a directory of this run's own (a running `pnpm start` keeps dist/). */
export function buildDashboard(outDir: string): void {
  const vite = join(ROOT, 'apps', 'dashboard', 'node_modules', '.bin', 'vite')
  const result = spawnSync(
    vite,
    [
      'build',
      '--config',
      join(ROOT, 'apps/dashboard/vite.config.ts'),
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 180_000 }
  )
  if (result.status !== 0) {
    throw new Error(`the dashboard did not build: ${result.stderr || result.stdout}`)
  }
}

export class Service {
  child: ChildProcess | null = null
  readonly url: string
  constructor(
    readonly name: ServiceName,
    readonly port: number,
    readonly env: NodeJS.ProcessEnv,
    readonly logFile: string
  ) {
    this.url = `http://127.0.0.1:${port}`
  }

  async start(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' })
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join('services', this.name, 'src', 'main.ts')],
      {
        cwd: ROOT,
        env: { ...this.env, [PORT_VAR[this.name]]: String(this.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
    child.stdout.pipe(log)
    child.stderr.pipe(log)
    live.add(child)
    child.once('exit', () => live.delete(child))
    this.child = child
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`${this.name} exited while starting; see ${this.logFile}`)
      }
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) })
        await res.body?.cancel()
        if (res.ok) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 150))
    }
    throw new Error(`${this.name} did not become ready in 60 s; see ${this.logFile}`)
  }

  /** SIGTERM, and SIGKILL if it has not exited within 15 s. */
  async stop(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
}

export interface System {
  /** The gateway: dashboard at /, API under /api/v1. */
  url: string
  ingestUrl: string
  /** An admin token (every scope). */
  token: string
  logDir: string
  /** Posts one deployment event to ingest and expects it accepted. */
  deploy(event: Record<string, unknown>): Promise<{ id: string }>
  /** Posts one build event to ingest and expects it accepted. */
  build(event: Record<string, unknown>): Promise<{ id: string }>
  /** Calls the gateway's API as admin. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<T>
  /** The gateway's process, to stop and start again. */
  gateway: Service
  stop(): Promise<void>
}

export async function startSystem(options: { publicRead?: boolean } = {}): Promise<System> {
  const work = mkdtempSync(join(tmpdir(), 'shiplog-e2e-'))
  const dist = join(work, 'dashboard')
  buildDashboard(dist)

  const db: TestDatabase = await createTestDatabase('shiplog_e2e')
  const namespace = testNamespace()
  const token = `shp_${randomBytes(24).toString('hex')}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    NATS_URL: inject('natsUrl'),
    SHIPLOG_NAMESPACE: namespace,
    SHIPLOG_BOOTSTRAP_TOKEN: token,
    SHIPLOG_DASHBOARD_DIR: dist,
    SHIPLOG_PUBLIC_READ: options.publicRead ? 'true' : 'false',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
  }
  const service = async (name: ServiceName) =>
    new Service(name, await freePort(), env, join(work, `${name}.log`))
  const release = await service('release')
  const ingest = await service('ingest')
  const gateway = await service('gateway')
  const started: Service[] = []
  try {
    // the release service creates the schema; the others need it
    for (const s of [release, ingest, gateway]) {
      await s.start()
      started.push(s)
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()))
    await db.drop()
    throw err
  }

  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  async function ingestPost(path: string, event: Record<string, unknown>) {
    const res = await fetch(`${ingest.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(event),
    })
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    return (await res.json()) as { id: string }
  }
  return {
    url: gateway.url,
    ingestUrl: ingest.url,
    token,
    logDir: work,
    gateway,
    deploy: (event) => ingestPost('/v1/deployment-events', event),
    build: (event) => ingestPost('/v1/build-events', event),
    async api(method, path, body) {
      const res = await fetch(`${gateway.url}/api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`)
      return text ? JSON.parse(text) : undefined
    },
    async stop() {
      await Promise.all([gateway.stop(), ingest.stop(), release.stop()])
      const nats = await connectTestNats('e2e-cleanup')
      await dropNamespace(nats, natsNames(namespace))
      await nats.close()
      await db.drop()
      if (!process.env.E2E_KEEP_LOGS) rmSync(work, { recursive: true, force: true })
    },
  }
}

export const unique = () => randomBytes(3).toString('hex')
