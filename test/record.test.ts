/**
 * recordEvents against a real Postgres: the concurrency guarantees two release services rely on.
 */
import { DeploymentEvent, deploymentId } from '@shiplog/contracts'
import { connectPostgres, type Sql } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import { recordEvents } from '@shiplog/release/record'
import { createTestDatabase, sleep, testLogger, type TestDatabase } from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { checkConsistency } from './checker.ts'

let db: TestDatabase
let a: Sql
let b: Sql

beforeAll(async () => {
  db = await createTestDatabase()
  const log = testLogger()
  a = connectPostgres(db.url, log)
  b = connectPostgres(db.url, log)
  await migrate(a, log)
})
afterAll(async () => {
  await a.end()
  await b.end()
  await db.drop()
})

const event = (id: string, version: string, status: string, at: string) =>
  DeploymentEvent.parse({
    kind: 'deployment',
    id,
    product_name: 'api',
    version,
    environment_name: 'production',
    status,
    completed_at: at,
    started_at: at,
    received_at: '2026-06-01T00:00:00Z',
    reporter: null,
  })

describe('two writers of one board cell', () => {
  it('serializes them, so the later commit folds in the earlier one', async () => {
    await recordEvents(a, [
      { seq: 1, event: event('e1', '1.0.0', 'completed', '2026-05-01T10:00:00Z') },
    ])
    // A records the newest event but holds its transaction open; B records an older one meanwhile.
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const first = recordEvents(
      a,
      [{ seq: 2, event: event('e2', '2.0.0', 'completed', '2026-05-01T12:00:00Z') }],
      async () => {
        await held
        return []
      }
    )
    await sleep(200)
    const second = recordEvents(b, [
      { seq: 3, event: event('e3', '1.0.0', 'failed', '2026-05-01T11:00:00Z') },
    ])
    await sleep(300)
    release()
    await Promise.all([first, second])

    const [cell] = await a`select current_id, last_success_id from environment_state`
    expect(cell).toEqual({
      current_id: deploymentId('api', '2.0.0', 'production'),
      last_success_id: deploymentId('api', '2.0.0', 'production'),
    })
    expect(await checkConsistency(a)).toEqual({ events: 3, duplicateEvents: 0, mismatches: [] })
  })
})
