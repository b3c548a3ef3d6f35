import { commonEnv, env, parseEnv } from '@shiplog/kit'
import { z } from 'zod'

const SYNCHRONOUS_COMMIT = ['on', 'off', 'local', 'remote_write', 'remote_apply'] as const

export const ReleaseEnv = z.object({
  ...commonEnv,
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/shiplog'),
  RELEASE_PORT: env.port(3002),
  /** Most events recorded in one transaction. */
  RELEASE_MAX_BATCH: env.positiveInt(500),
  /** Deliveries after which a message that keeps failing is dead-lettered. */
  RELEASE_MAX_ATTEMPTS: env.positiveInt(5),
  /**
   * Postgres `synchronous_commit` for this service's sessions, whatever the server's default.
   * `on`: a batch is on disk before its events are acknowledged to JetStream, which then deletes
   * them. Anything weaker can lose acknowledged events in a crash (ARCHITECTURE.md, Durability).
   */
  RELEASE_SYNCHRONOUS_COMMIT: z
    .enum(SYNCHRONOUS_COMMIT, { error: `must be one of ${SYNCHRONOUS_COMMIT.join(', ')}` })
    .default('on'),
  SHIPLOG_DEDUPE_WINDOW_SECONDS: env.positiveInt(120),
  SHIPLOG_STREAM_MAX_BYTES: env.positiveInt(1024 ** 3),
})

export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const e = parseEnv(ReleaseEnv, source)
  return {
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    namespace: e.SHIPLOG_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    port: e.RELEASE_PORT,
    maxBatch: e.RELEASE_MAX_BATCH,
    maxAttempts: e.RELEASE_MAX_ATTEMPTS,
    synchronousCommit: e.RELEASE_SYNCHRONOUS_COMMIT,
    stream: {
      duplicateWindowMs: e.SHIPLOG_DEDUPE_WINDOW_SECONDS * 1000,
      maxBytes: e.SHIPLOG_STREAM_MAX_BYTES,
    },
  }
}
export type ReleaseConfig = ReturnType<typeof loadConfig>
