/**
 * The release service's request-reply endpoints (contracts `RpcRequests`), one NATS queue
 * subscription per operation so several instances share the load. Each request runs in its own
 * transaction; the reply says what changed or carries the API's error shape.
 */
import {
  RPC_OPERATIONS,
  RpcRequests,
  fieldIssues,
  rpcError,
  type NatsNames,
  type RpcOperation,
  type RpcReply,
} from '@shiplog/contracts'
import type { Logger, Nats } from '@shiplog/kit'
import type { Msg, Subscription } from '@nats-io/transport-node'
import { z } from 'zod'

import type { Sql } from './db.ts'
import { isTransient } from './errors.ts'
import {
  RuleError,
  addAnalysis,
  addVersion,
  removeAnalysis,
  createRelease,
  removeVersion,
  updateEnvironment,
  updateRelease,
  type Changed,
} from './releases.ts'
import { updateSettings } from './settings.ts'

export interface RpcOptions {
  nats: Nats
  names: NatsNames
  sql: Sql
  log: Logger
  onChanged: (changed: Changed) => void
}

export function serveRpc({ nats, names, sql, log, onChanged }: RpcOptions) {
  const operations: {
    [O in RpcOperation]: (req: z.output<(typeof RpcRequests)[O]>) => Promise<Changed>
  } = {
    'release.create': (r) => createRelease(sql, r.actor, r.release),
    'release.update': (r) => updateRelease(sql, r.actor, r.id, r.patch),
    'release.add_version': (r) => addVersion(sql, r.actor, r.id, r.version),
    'release.remove_version': (r) => removeVersion(sql, r.actor, r.id, r.version_id),
    'environment.update': (r) => updateEnvironment(sql, r.id, r.patch),
    'settings.update': async (r) => {
      await updateSettings(sql, r.actor, r.patch)
      return { id: 'releases', releases: [] }
    },
    'analysis.create': (r) => addAnalysis(sql, r.actor, r.release_id, r.analysis),
    'analysis.delete': (r) => removeAnalysis(sql, r.release_id, r.id),
  }

  async function handle(operation: RpcOperation, msg: Msg): Promise<RpcReply> {
    try {
      const request = RpcRequests[operation].parse(msg.json()) as never
      const changed = await operations[operation](request)
      onChanged(changed)
      return { ok: true, id: changed.id }
    } catch (err) {
      return failure(operation, err)
    }
  }

  function failure(operation: RpcOperation, err: unknown): RpcReply {
    if (err instanceof RuleError) return rpcError(err.code, err.message, err.details)
    if (err instanceof z.ZodError) {
      return rpcError('validation_failed', 'invalid request', fieldIssues(err))
    }
    if (isTransient(err)) return rpcError('unavailable', 'the database is unavailable; retry later')
    const code = (err as { code?: string }).code
    // a value that is not a UUID names nothing that exists
    if (code === '22P02') return rpcError('not_found', 'no such id')
    // two concurrent additions of one product: the unique constraint is the last word
    if (code === '23505') {
      return rpcError(
        'version_already_in_release',
        'the release already has a version of this product'
      )
    }
    log.error({ err, operation }, 'release operation failed')
    return rpcError('internal', 'internal error; the release service log has the details')
  }

  const subscriptions: Subscription[] = RPC_OPERATIONS.map((operation) =>
    nats.nc.subscribe(names.rpcSubject(operation), {
      queue: names.rpcQueue,
      callback: (_err, msg) => {
        void handle(operation, msg).then((reply) => msg.respond(JSON.stringify(reply)))
      },
    })
  )

  return {
    async stop() {
      await Promise.all(subscriptions.map((s) => s.drain()))
    },
  }
}
