import { commonEnv, env, parseEnv } from '@shiplog/kit'
import { z } from 'zod'

export const IngestEnv = z.object({
  ...commonEnv,
  INGEST_PORT: env.port(3001),
  /** Largest single-event body: extra_metadata may be 100 KB, the rest is small. */
  INGEST_MAX_BODY_BYTES: env.positiveInt(256 * 1024),
  /** Largest batch body (up to 1,000 events). */
  INGEST_MAX_BATCH_BYTES: env.positiveInt(16 * 1024 * 1024),
  /** Publishes awaiting their PubAck before ingest answers 503 instead of queueing more. */
  INGEST_MAX_IN_FLIGHT: env.positiveInt(20_000),
  /** How long a publish may wait for JetStream's acknowledgement. */
  INGEST_PUBLISH_TIMEOUT_MS: env.positiveInt(5000),
  SHIPLOG_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^\S{16,256}$/, { error: 'must be 16 to 256 characters without spaces' })
    .optional(),
  SHIPLOG_DEDUPE_WINDOW_SECONDS: env.positiveInt(120),
  SHIPLOG_STREAM_MAX_BYTES: env.positiveInt(1024 ** 3),
})

export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const e = parseEnv(IngestEnv, source)
  return {
    natsUrl: e.NATS_URL,
    namespace: e.SHIPLOG_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    port: e.INGEST_PORT,
    bootstrapToken: e.SHIPLOG_BOOTSTRAP_TOKEN,
    limits: {
      bodyBytes: e.INGEST_MAX_BODY_BYTES,
      batchBytes: e.INGEST_MAX_BATCH_BYTES,
      inFlight: e.INGEST_MAX_IN_FLIGHT,
    },
    publishTimeoutMs: e.INGEST_PUBLISH_TIMEOUT_MS,
    stream: {
      duplicateWindowMs: e.SHIPLOG_DEDUPE_WINDOW_SECONDS * 1000,
      maxBytes: e.SHIPLOG_STREAM_MAX_BYTES,
    },
  }
}
export type IngestConfig = ReturnType<typeof loadConfig>
