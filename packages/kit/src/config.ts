/**
 * Configuration from environment variables, parsed once at startup with zod.
 * A bad configuration stops the service with one error that names every bad variable.
 */
import { z } from 'zod'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env
): z.output<S> {
  const result = schema.safeParse(env)
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.')
    const raw = env[key]
    return `  ${key}${raw === undefined ? '' : `="${raw}"`}: ${issue.message}`
  })
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
}

/** Building blocks for the services' config schemas. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a port number' })
      .int({ error: 'must be a port number' })
      .min(0, { error: 'must be a port number' })
      .max(65535, { error: 'must be a port number' })
      .default(fallback),
  url: (protocols: readonly string[], fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine((s) => protocols.some((p) => s.startsWith(`${p}://`)) && URL.canParse(s), {
        error: `must be a ${protocols.join(' or ')} URL`,
      }),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v))),
  positiveInt: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .positive({ error: 'must be positive' })
      .default(fallback),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
}

/** Settings every service shares. */
export const commonEnv = {
  NATS_URL: env.url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222'),
  SHIPLOG_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, { error: 'must be lowercase letters, digits and _' })
    .default('shiplog'),
  LOG_LEVEL: env.logLevel(),
}
