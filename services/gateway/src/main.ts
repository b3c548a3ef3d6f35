/**
 * Wires the gateway to Postgres (reads), NATS (release changes, tokens, update notes) and its
 * HTTP port (API, dashboard, Socket.IO), and handles signals.
 */
import type { Server } from 'node:http'

import { serve } from '@hono/node-server'
import { natsNames } from '@shiplog/contracts'
import { TokenStore, connectNats, createLogger, fatal, graceful, onShutdown } from '@shiplog/kit'

import { createGatewayApp } from './app.ts'
import { loadConfig } from './config.ts'
import { attachLive } from './live.ts'
import { connectPostgres } from './read/db.ts'
import { createReleaseRpc } from './rpc-client.ts'

const log = createLogger('gateway')

try {
  const config = loadConfig()
  log.level = config.logLevel
  const names = natsNames(config.namespace)
  const sql = connectPostgres(config.databaseUrl, log)
  const nats = await connectNats({ url: config.natsUrl, name: 'shiplog-gateway', log })
  const tokens = await TokenStore.open(nats, names, log)
  if (config.bootstrapToken) await tokens.ensureBootstrap(config.bootstrapToken)
  const app = createGatewayApp({
    sql,
    rpc: createReleaseRpc(nats, names, log),
    tokens,
    log,
    publicRead: config.publicRead,
    dashboardDir: config.dashboardDir,
    ingestUrl: config.ingestUrl,
    readiness: {
      nats: () => nats.isConnected(),
      postgres: async () => await sql`select 1 from release limit 1`.then(() => true),
    },
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }) as Server
  const stopHttp = graceful(server)
  const live = attachLive(server, {
    sql,
    nats,
    names,
    tokens,
    log: log.child({ component: 'live' }),
    publicRead: config.publicRead,
    intervalMs: config.liveIntervalMs,
    maxBacklogBytes: config.liveMaxBacklogBytes,
  })
  log.info(
    { port: config.port, namespace: config.namespace, publicRead: config.publicRead },
    'gateway started'
  )

  onShutdown(async () => {
    // closes the sockets (clients reconnect, to another gateway or to this one restarted) and
    // the HTTP server
    await stopHttp(() => live.close())
    tokens.stop()
    await nats.close()
    await sql.end({ timeout: 5 })
  }, log)
} catch (err) {
  fatal(log, err)
}
