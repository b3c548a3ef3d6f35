/**
 * The Postgres driver under a dying connection. postgres.js 3.4.9 threw from a timer when a
 * transaction's ROLLBACK went to a connection whose backend had just died (as when Postgres
 * stops mid-batch), and that took the release service down (porsager/postgres#1154, #1208; found
 * by the fault suite). patches/postgres@3.4.9.patch refuses such a query instead; this proves
 * the process survives and the pool reconnects.
 */
import { connectPostgres } from '@shiplog/release/db'
import { createTestDatabase, eventually, testLogger } from '@shiplog/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

let db: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  db = await createTestDatabase()
})
afterAll(() => db.drop())

it('rejects a transaction whose backend dies, survives, and reconnects', async () => {
  const sql = connectPostgres(db.url, testLogger(), { max: 1 })
  const admin = connectPostgres(db.url, testLogger(), { max: 1 })
  try {
    for (let round = 0; round < 3; round++) {
      const transaction = sql.begin(async (tx) => {
        const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`
        setTimeout(() => {
          admin`select pg_terminate_backend(${row!.pid})`.then(
            () => undefined,
            () => undefined
          )
        }, 100)
        await tx`select pg_sleep(5)`
      })
      await expect(transaction).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
      // the process is still here (the unpatched driver threw from a timer by now)
      await new Promise((r) => setTimeout(r, 50))
      await eventually(async () => {
        const [row] = await sql<{ ok: number }[]>`select 1 as ok`
        expect(row!.ok).toBe(1)
      })
    }
  } finally {
    await sql.end({ timeout: 1 })
    await admin.end({ timeout: 1 })
  }
})
