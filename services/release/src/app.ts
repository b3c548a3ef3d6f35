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
import { afterEventsRecorded } from './releases.ts'
import { serveRpc } from './rpc.ts'
import { createUpdatePublisher } from './updates.ts'

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
  let rpc: ReturnType<typeof serveRpc> | undefined
  const updates = createUpdatePublisher(nats, names, log)

  const http = healthRoutes({
    nats: () => nats.isConnected(),
    postgres: async () => await sql`select 1 as ok`.then((r) => r.length === 1),
  })

  return {
    http,
    names,
    start() {
      // this process may have died between a commit and its note: every client refetches
      updates.resync()
      rpc = serveRpc({
        nats,
        names,
        sql,
        log: log.child({ component: 'rpc' }),
        onChanged: (changed) =>
          updates.publish({ releases: changed.releases, resync: changed.resync ?? false }),
      })
      consumer = startEventConsumer({
        nats,
        names,
        sql,
        log: log.child({ component: 'events' }),
        maxBatch: deps.maxBatch,
        maxAttempts: deps.maxAttempts,
        ...(deps.retryBaseMs ? { retryBaseMs: deps.retryBaseMs } : {}),
        after: afterEventsRecorded,
        onRecorded: (r) =>
          updates.publish({
            cells: r.cells,
            deployments: r.deployments,
            releases: r.releases,
            events: r.stored,
          }),
      })
    },
    /** Stops taking events and lets the ones in hand commit. */
    async stop() {
      await rpc?.stop()
      await consumer?.stop()
    },
  }
}
