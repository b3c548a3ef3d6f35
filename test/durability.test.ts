/**
 * The release service's Postgres sessions commit as durably as configured
 * (RELEASE_SYNCHRONOUS_COMMIT), whatever the server's or the database's own default says.
 */
import { loadConfig } from '@shiplog/release/config'
import { connectPostgres } from '@shiplog/release/db'
import { createTestDatabase, testLogger } from '@shiplog/testing'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let db: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  db = await createTestDatabase()
  // a database whose own default is the lazy one
  const admin = postgres(db.url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`alter database "${db.name}" set synchronous_commit = off`)
  await admin.end()
})
afterAll(() => db.drop())

async function setting(synchronousCommit?: string) {
  const sql = connectPostgres(db.url, testLogger(), {
    max: 1,
    ...(synchronousCommit ? { synchronousCommit } : {}),
  })
  try {
    const [row] = await sql<
      { value: string }[]
    >`select current_setting('synchronous_commit') as value`
    return row!.value
  } finally {
    await sql.end()
  }
}

describe('synchronous_commit', () => {
  it('is on by default, even where the database says off', async () => {
    const { synchronousCommit } = loadConfig({})
    expect(synchronousCommit).toBe('on')
    expect(await setting(synchronousCommit)).toBe('on')
    expect(await setting()).toBe('off')
  })

  it('takes what RELEASE_SYNCHRONOUS_COMMIT says, and names the variable when it is wrong', async () => {
    expect(
      await setting(loadConfig({ RELEASE_SYNCHRONOUS_COMMIT: 'local' }).synchronousCommit)
    ).toBe('local')
    expect(() => loadConfig({ RELEASE_SYNCHRONOUS_COMMIT: 'sometimes' })).toThrow(
      /RELEASE_SYNCHRONOUS_COMMIT="sometimes": must be one of on, off/
    )
  })
})
