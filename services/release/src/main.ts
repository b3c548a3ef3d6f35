/**
 * Wires the release service to Postgres, NATS and a health port, and handles signals.
 */
import { serve } from '@hono/node-server'
import type { Server } from 'node:http'

import { connectNats, createLogger, fatal, graceful, onShutdown } from '@shiplog/kit'

import { createReleaseService } from './app.ts'
import { loadConfig } from './config.ts'
import { connectPostgres, ensureDatabase } from './db.ts'
import { migrate } from './migrate.ts'

const log = createLogger('release')

try {
  const config = loadConfig()
  log.level = config.logLevel
  await ensureDatabase(config.databaseUrl, log)
  const sql = connectPostgres(config.databaseUrl, log, {
    name: 'shiplog-release',
    synchronousCommit: config.synchronousCommit,
  })
  await migrate(sql, log)
  const nats = await connectNats({ url: config.natsUrl, name: 'shiplog-release', log })
  const service = await createReleaseService({ sql, nats, log, ...config })
  service.start()
  const server = serve({
    fetch: service.http.fetch,
    port: config.port,
    hostname: '0.0.0.0',
  }) as Server
  const stopHttp = graceful(server)
  log.info({ port: config.port, namespace: config.namespace }, 'release service started')

  onShutdown(async () => {
    await stopHttp()
    await service.stop()
    await nats.close()
    await sql.end({ timeout: 5 })
  }, log)
} catch (err) {
  fatal(log, err)
}
