/**
 * Which failures are worth retrying. A transient failure (Postgres down or restarting, a
 * deadlock, a serialization conflict) says nothing about the message: it is retried without
 * limit and never dead-lettered. Anything else is the message's own fault, and after a few
 * attempts it goes to the dead-letter table.
 */

const TRANSIENT_CLIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// SQLSTATE classes and codes: 08 connection exception, 53 insufficient resources,
// 57P01-03 shutdown/crash/cannot connect now, 40001 serialization, 40P01 deadlock, 55P03 lock timeout.
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01|55P03|58000|58030)/

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return false
  return TRANSIENT_CLIENT_CODES.has(code) || TRANSIENT_SQLSTATE.test(code)
}
