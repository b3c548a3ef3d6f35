/**
 * Settings of release intelligence (automatic releases), kept in the `setting` table under the
 * key "releases" and audited in `setting_history`.
 */
import {
  DEFAULT_RELEASE_SETTINGS,
  type ReleaseSettings,
  type UpdateReleaseSettings,
} from '@shiplog/contracts'

import type { Db, Sql } from './db.ts'

type Json = Parameters<Db['json']>[0]
const KEY = 'releases'

export async function readSettings(db: Db): Promise<ReleaseSettings> {
  const [row] = await db<
    { value: Partial<ReleaseSettings>; updated_at: Date; updated_by: string | null }[]
  >`
    select value, updated_at, updated_by from setting where key = ${KEY}`
  return {
    ...DEFAULT_RELEASE_SETTINGS,
    ...row?.value,
    updated_at: row ? row.updated_at.toISOString() : null,
    updated_by: row?.updated_by ?? null,
  }
}

export async function updateSettings(
  sql: Sql,
  actor: string,
  patch: UpdateReleaseSettings
): Promise<void> {
  await sql.begin(async (tx) => {
    // serializes concurrent updates of the same settings
    await tx`select pg_advisory_xact_lock(hashtextextended(${KEY}, 11))`
    const current = await readSettings(tx)
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const [field, value] of Object.entries(patch) as Array<
      [keyof UpdateReleaseSettings, unknown]
    >) {
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[field])) {
        changes[field] = { from: current[field], to: value }
      }
    }
    if (!Object.keys(changes).length) return
    const { updated_at: _at, updated_by: _by, ...values } = { ...current, ...patch }
    await tx`
      insert into setting (key, value, updated_at, updated_by) values (${KEY}, ${tx.json(values)}, now(), ${actor})
      on conflict (key) do update set value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`
    await tx`insert into setting_history (key, actor, changes) values (${KEY}, ${actor}, ${tx.json(changes as Json)})`
  })
}
