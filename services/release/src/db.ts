/**
 * The Postgres connection, and creating the database on first start.
 */
import postgres from 'postgres'

import type { Logger } from '@shiplog/kit'

export type Sql = postgres.Sql
/** Accepts both `sql` and a transaction's `tx` (postgres.js 3.4.9 types them apart, #1163). */
export type Db = postgres.ISql

export function connectPostgres(
  url: string,
  log: Logger,
  options: { max?: number; name?: string; synchronousCommit?: string } = {}
): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connection: {
      application_name: options.name ?? 'shiplog',
      // a session setting, so the durability promised does not hang on the server's default
      ...(options.synchronousCommit ? { synchronous_commit: options.synchronousCommit } : {}),
    },
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    types: {
      // int8 values here (stream sequences, revs, counts) stay far below 2^53: read them as numbers
      int8: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  })
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!name) return
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} })
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`
    if (exists) return
    await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`).catch((err: unknown) => {
      // another instance created it between our check and our create
      if ((err as { code?: string }).code !== '42P04') throw err
    })
    log.info({ database: name }, 'created database')
  } finally {
    await sql.end({ timeout: 5 })
  }
}
