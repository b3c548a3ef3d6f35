/**
 * Schema migrations: numbered plain SQL files in ./migrations, applied at startup in one
 * transaction under an advisory lock, so several instances can start at once and exactly one
 * applies each migration.
 */
import { readdir, readFile } from 'node:fs/promises'

import type { Logger } from '@shiplog/kit'

import type { Sql } from './db.ts'

const MIGRATIONS = new URL('./migrations/', import.meta.url)
// any constant works; it only has to be the same in every instance
const LOCK_KEY = 0x5_41_9_10_6

export async function migrate(sql: Sql, log: Logger): Promise<number[]> {
  const files = (await readdir(MIGRATIONS)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort()
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`
    await tx`create table if not exists schema_migration (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`
    const done = new Set(
      (await tx<{ version: number }[]>`select version from schema_migration`).map((r) => r.version)
    )
    const applied: number[] = []
    for (const file of files) {
      const version = Number.parseInt(file, 10)
      if (done.has(version)) continue
      await tx.unsafe(await readFile(new URL(file, MIGRATIONS), 'utf8'))
      await tx`insert into schema_migration (version, name) values (${version}, ${file})`
      log.info({ migration: file }, 'applied migration')
      applied.push(version)
    }
    return applied
  })
}
