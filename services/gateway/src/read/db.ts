/**
 * The gateway's Postgres connection. It only reads: every write goes through the release service.
 */
import { environmentId, productId } from '@shiplog/contracts'
import type { Logger } from '@shiplog/kit'
import postgres from 'postgres'

export type Sql = postgres.Sql

export function connectPostgres(url: string, log: Logger, max = 10): Sql {
  return postgres(url, {
    max,
    connection: {
      application_name: 'shiplog-gateway',
      default_transaction_read_only: true,
      // Every read here answers an HTTP request within milliseconds. A plan estimated above
      // jit_above_cost (DORA over a month, charts over a year) would otherwise spend 0.3-0.5 s
      // compiling itself: far more than it saves on reads this size.
      jit: 'off',
    },
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
    // timestamps leave SQL already formatted by iso(); the few read as Date become ISO strings
    transform: { value: { from: (v: unknown) => (v instanceof Date ? v.toISOString() : v) } },
  })
}

/** A product or environment named by name or id, as an id; undefined stays undefined. */
export const productRef = (v: string | undefined) => (v ? resolveId(v, productId) : undefined)
export const environmentRef = (v: string | undefined) =>
  v ? resolveId(v, environmentId) : undefined

/** A name or an id: ids of named things are derived from their names (contracts ids.ts). */
export function resolveId(value: string, fromName: (name: string) => string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
    ? value.toLowerCase()
    : fromName(value)
}
