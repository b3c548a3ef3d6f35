/**
 * Wires the gateway to Postgres (reads), NATS (release changes, tokens) and its HTTP port, and
 * handles signals.
 */
import { serve } from '@hono/node-server'
import { natsNames } from '@shiplog/contracts'
import { TokenStore, connectNats, createLogger, fatal, onShutdown } from '@shiplog/kit'

import { createGatewayApp } from './app.ts'
import { loadConfig } from './config.ts'
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
    readiness: {
      nats: () => nats.isConnected(),
      postgres: async () => await sql`select 1 from release limit 1`.then(() => true),
    },
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' })
  log.info({ port: config.port, namespace: config.namespace }, 'gateway started')

  onShutdown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    tokens.stop()
    await nats.close()
    await sql.end({ timeout: 5 })
  }, log)
} catch (err) {
  fatal(log, err)
}
