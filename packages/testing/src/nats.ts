/**
 * NATS for tests: a namespace of its own per test file (streams, buckets and subjects all derive
 * from it), and its removal afterwards.
 */
import { randomBytes } from 'node:crypto'

import { natsNames, type NatsNames } from '@shiplog/contracts'
import { connectNats, createLogger, type Logger, type Nats } from '@shiplog/kit'
import { inject } from 'vitest'

import './provided.ts'

export const testLogger = (name = 'test'): Logger =>
  createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent')

export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`
}

export function connectTestNats(name = 'test', url = inject('natsUrl')): Promise<Nats> {
  return connectNats({ url, name, log: testLogger(name), timeoutMs: 3000 })
}

/** Deletes every stream and bucket of a namespace. */
export async function dropNamespace(nats: Nats, names: NatsNames): Promise<void> {
  const streams = [names.eventStream, `KV_${names.tokenBucket}`, `KV_${names.versionBucket}`]
  for (const stream of streams) {
    await nats.jsm.streams.delete(stream).catch(() => undefined)
  }
}

export { natsNames }
