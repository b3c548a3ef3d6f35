/**
 * `pnpm start`: the whole system on one machine.
 *
 * Checks that NATS (with JetStream) and Postgres answer, failing in seconds with the fix when
 * they do not; builds the dashboard; then runs the release service, ingest and the gateway,
 * restarting any that crash, until Ctrl-C. `--dev` runs Vite's dev server instead of the build.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import postgres from 'postgres'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dev = process.argv.includes('--dev')
const env = { ...process.env }
env.NATS_URL ??= 'nats://127.0.0.1:4222'
env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/shiplog'
const ports = {
  gateway: env.GATEWAY_PORT ?? '3000',
  ingest: env.INGEST_PORT ?? '3001',
  release: env.RELEASE_PORT ?? '3002',
}
// on one machine, ingest is beside the gateway: the dashboard shows this in its curl examples
env.SHIPLOG_INGEST_URL ??= `http://localhost:${ports.ingest}`

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`)
  process.exit(1)
}

async function checkNats(url: string) {
  let nc
  try {
    nc = await connect({ servers: url, timeout: 3000, maxReconnectAttempts: 0 })
  } catch {
    fail(
      `NATS is not reachable at ${url}: start it with \`nats-server -js\` (or \`docker compose up -d nats\`), or set NATS_URL.`
    )
  }
  try {
    await (await jetstreamManager(nc, { timeout: 3000 })).getAccountInfo()
  } catch {
    fail(`NATS at ${url} has JetStream disabled: restart it with \`nats-server -js\`.`)
  } finally {
    await nc.close()
  }
}

async function checkPostgres(url: string) {
  const server = new URL(url)
  server.pathname = '/postgres'
  const sql = postgres(server.toString(), { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await sql`select 1`
  } catch (err) {
    fail(
      `Postgres is not reachable at ${server.host} (${(err as Error).message}): start it ` +
        '(`docker compose up -d postgres`, or `sudo service postgresql start`), or set DATABASE_URL.'
    )
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/** A fresh install needs a way in: an admin token, generated once and kept in .shiplog/. */
function bootstrapToken(): string {
  if (env.SHIPLOG_BOOTSTRAP_TOKEN) return env.SHIPLOG_BOOTSTRAP_TOKEN
  const file = join(root, '.shiplog', 'bootstrap-token')
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `shp_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 })
  }
  return readFileSync(file, 'utf8').trim()
}

function run(command: string, args: string[], name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' })
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`))
    )
  })
}

const children = new Map<string, ChildProcess>()
let stopping = false

function supervise(name: string, args: string[], delay = 1000) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' })
  children.set(name, child)
  const started = Date.now()
  child.on('exit', (code, signal) => {
    children.delete(name)
    if (stopping) return
    // a crash loop backs off; a service that ran a while restarts at once
    const next = Date.now() - started > 30_000 ? 1000 : Math.min(delay * 2, 15_000)
    console.error(`✖ ${name} exited (${signal ?? code}); restarting in ${next / 1000}s`)
    setTimeout(() => supervise(name, args, next), next)
  })
}

const service = (name: string) => ['--import', 'tsx', join('services', name, 'src', 'main.ts')]

async function waitReady(port: string, name: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  fail(`${name} did not become ready within ${timeoutMs / 1000}s; see its log above.`)
}

await checkNats(env.NATS_URL)
await checkPostgres(env.DATABASE_URL)
env.SHIPLOG_BOOTSTRAP_TOKEN = bootstrapToken()

const hasGateway = existsSync(join(root, 'services', 'gateway', 'src', 'main.ts'))
const hasDashboard = existsSync(join(root, 'apps', 'dashboard', 'package.json'))
if (hasDashboard && !dev) {
  await run('pnpm', ['--filter', '@shiplog/dashboard', 'build'], 'dashboard build')
}

supervise('release', service('release'))
await waitReady(ports.release, 'the release service')
supervise('ingest', service('ingest'))
if (hasGateway) supervise('gateway', service('gateway'))
if (dev && hasDashboard) {
  // Vite's dev server (hot reload) passes /api and /socket.io (WebSocket) to GATEWAY_PORT
  env.GATEWAY_PORT = ports.gateway
  supervise('dashboard', [
    join(root, 'apps', 'dashboard', 'node_modules', 'vite', 'bin', 'vite.js'),
    '--config',
    'apps/dashboard/vite.config.ts',
  ])
}
await waitReady(ports.ingest, 'ingest')
if (hasGateway) await waitReady(ports.gateway, 'the gateway')

console.log(`
Shiplog is running.
  board      http://localhost:${dev ? (env.DASHBOARD_PORT ?? '5173') : ports.gateway}/
  api        http://localhost:${ports.gateway}/api/v1   (docs: /api/docs)
  ingest     http://localhost:${ports.ingest}/v1/deployment-events
  token      ${env.SHIPLOG_BOOTSTRAP_TOKEN}   (admin; kept in .shiplog/bootstrap-token)

Post a deployment:
  curl -X POST http://localhost:${ports.ingest}/v1/deployment-events \\
    -H "Authorization: Bearer ${env.SHIPLOG_BOOTSTRAP_TOKEN}" -H 'Content-Type: application/json' \\
    -d '{"product_name":"checkout","version":"1.4.2","environment_name":"production","status":"success"}'
`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    for (const child of children.values()) child.kill('SIGTERM')
    const check = setInterval(() => {
      if (children.size === 0) {
        clearInterval(check)
        process.exit(0)
      }
    }, 100)
  })
}
