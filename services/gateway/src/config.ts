import { commonEnv, env, parseEnv } from '@shiplog/kit'
import { z } from 'zod'

export const GatewayEnv = z.object({
  ...commonEnv,
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/shiplog'),
  GATEWAY_PORT: env.port(3000),
  SHIPLOG_BOOTSTRAP_TOKEN: z
    .string()
    .regex(/^\S{16,256}$/, { error: 'must be 16 to 256 characters without spaces' })
    .optional(),
  /** Lets anyone read the board and the API without a token (wall screens on a trusted network). */
  SHIPLOG_PUBLIC_READ: env.flag(false),
  /** Where CD tools reach ingest, e.g. https://shiplog.example.com:3001 (shown in the dashboard). */
  SHIPLOG_INGEST_URL: z
    .string()
    .refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), { error: 'must be an http(s) URL' })
    .optional(),
  /**
   * Least time between two live flushes: a room gets at most 1000/this messages a second. Lower
   * is fresher, higher is cheaper for many viewers; the first change after a quiet spell goes out
   * at once either way.
   */
  SHIPLOG_LIVE_INTERVAL_MS: env.positiveInt(100),
  /**
   * A live connection with more than this many bytes waiting behind what its client has not read
   * is closed; the client reconnects and resyncs. Bounds the memory a stalled client can cost.
   */
  SHIPLOG_LIVE_MAX_BACKLOG_BYTES: env.positiveInt(1024 * 1024),
  /** The built dashboard; served at / when it exists. */
  SHIPLOG_DASHBOARD_DIR: z.string().default('apps/dashboard/dist'),
})

export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const e = parseEnv(GatewayEnv, source)
  return {
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    namespace: e.SHIPLOG_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    port: e.GATEWAY_PORT,
    bootstrapToken: e.SHIPLOG_BOOTSTRAP_TOKEN,
    publicRead: e.SHIPLOG_PUBLIC_READ,
    dashboardDir: e.SHIPLOG_DASHBOARD_DIR,
    liveIntervalMs: e.SHIPLOG_LIVE_INTERVAL_MS,
    liveMaxBacklogBytes: e.SHIPLOG_LIVE_MAX_BACKLOG_BYTES,
    ingestUrl: e.SHIPLOG_INGEST_URL ?? null,
  }
}
export type GatewayConfig = ReturnType<typeof loadConfig>
