/**
 * Wires ingest to NATS and its HTTP port, and handles signals.
 */
import type { Server } from 'node:http'

import { serve } from '@hono/node-server'
import { natsNames } from '@shiplog/contracts'
import {
  TokenStore,
  connectNats,
  createLogger,
  ensureStream,
  eventStreamConfig,
  fatal,
  graceful,
  onShutdown,
  openKv,
} from '@shiplog/kit'

import { createIngestApp } from './app.ts'
import { loadConfig } from './config.ts'
import { createPublisher } from './publisher.ts'

const log = createLogger('ingest')

try {
  const config = loadConfig()
  log.level = config.logLevel
  const names = natsNames(config.namespace)
  const nats = await connectNats({
    url: config.natsUrl,
    name: 'shiplog-ingest',
    log,
    timeoutMs: config.publishTimeoutMs,
  })
  await ensureStream(nats.jsm, eventStreamConfig(names, config.stream))
  const tokens = await TokenStore.open(nats, names, log)
  if (config.bootstrapToken) await tokens.ensureBootstrap(config.bootstrapToken)
  const publisher = createPublisher({
    nats,
    names,
    shas: await openKv(nats, names.versionBucket),
    log,
    maxInFlight: config.limits.inFlight,
    timeoutMs: config.publishTimeoutMs,
  })
  const app = createIngestApp({
    tokens,
    publisher,
    log,
    limits: config.limits,
    readiness: { nats: () => nats.isConnected() },
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }) as Server
  log.info({ port: config.port, namespace: config.namespace }, 'ingest started')

  const stopHttp = graceful(server)

  onShutdown(async () => {
    // stop taking requests; the ones in flight finish (and get their PubAck) first
    await stopHttp()
    tokens.stop()
    await nats.close()
  }, log)
} catch (err) {
  fatal(log, err)
}
