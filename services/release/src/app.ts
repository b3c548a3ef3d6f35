/**
 * The release service, built from its dependencies: the event consumer and the health endpoints.
 */
import { natsNames } from '@shiplog/contracts'
import {
  ensureConsumer,
  ensureStream,
  eventConsumerConfig,
  eventStreamConfig,
  healthRoutes,
  type EventStreamOptions,
  type Logger,
  type Nats,
} from '@shiplog/kit'

import type { Sql } from './db.ts'
import { startEventConsumer, type EventConsumer } from './event-consumer.ts'

export interface ReleaseServiceDeps {
  sql: Sql
  nats: Nats
  log: Logger
  namespace: string
  stream: EventStreamOptions
  maxBatch: number
  maxAttempts: number
  retryBaseMs?: number
}

export async function createReleaseService(deps: ReleaseServiceDeps) {
  const { sql, nats, log } = deps
  const names = natsNames(deps.namespace)
  await ensureStream(nats.jsm, eventStreamConfig(names, deps.stream))
  await ensureConsumer(nats.jsm, names.eventStream, eventConsumerConfig(names))

  let consumer: EventConsumer | undefined

  const http = healthRoutes({
    nats: () => nats.isConnected(),
    postgres: async () => await sql`select 1 as ok`.then((r) => r.length === 1),
  })

  return {
    http,
    names,
    start() {
      consumer = startEventConsumer({
        nats,
        names,
        sql,
        log: log.child({ component: 'events' }),
        maxBatch: deps.maxBatch,
        maxAttempts: deps.maxAttempts,
        ...(deps.retryBaseMs ? { retryBaseMs: deps.retryBaseMs } : {}),
      })
    },
    /** Stops taking events and lets the ones in hand commit. */
    async stop() {
      await consumer?.stop()
    },
  }
}
