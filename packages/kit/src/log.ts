/**
 * Structured logs (pino, JSON lines). `LOG_PRETTY` is left to the operator's pipe (`| pino-pretty`).
 */
import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({
    name: service,
    level,
    // Never log a bearer token, even when a request object slips into a log line.
    redact: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token'],
  })
}
