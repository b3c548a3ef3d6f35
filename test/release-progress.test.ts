/**
 * A release's progress against a recording of its versions' deployments in flight at the same
 * moment: the release taking the version in (a person adding it, or automatic detection in
 * another release service) and the recording must not miss each other. Found by the fault suite's
 * checker (a release's stored progress differed from the recomputation from the stored events);
 * here each interleaving is forced by holding one transaction open.
 */
import { DeploymentEvent } from '@shiplog/contracts'
import { KnownCatalog } from '../services/release/src/catalog.ts'
import { connectPostgres, type Sql } from '@shiplog/release/db'
import { migrate } from '@shiplog/release/migrate'
import { recordEvents } from '@shiplog/release/record'
import { addVersion, afterEventsRecorded, createRelease } from '../services/release/src/releases.ts'
import { createTestDatabase, sleep, testLogger, type TestDatabase } from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { checkConsistency } from './checker.ts'

let db: TestDatabase
let a: Sql
let b: Sql
// two release services, each remembering what it has stored (as in production)
const knownByA = new KnownCatalog()
const knownByB = new KnownCatalog()

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

let seq = 0
const T0 = Date.now() - 600_000
const event = (product: string, version: string, environment: string, status: string) => {
  const at = new Date(T0 + ++seq * 1000).toISOString()
  return {
    seq,
    event: DeploymentEvent.parse({
      kind: 'deployment',
      id: `e${seq}`,
      product_name: product,
      version,
      environment_name: environment,
      status,
      started_at: at,
      completed_at: at,
      received_at: new Date().toISOString(),
      reporter: null,
    }),
  }
}

/** Records on `sql`, holding the transaction open after the release work until `release()`. */
function recordHeld(sql: Sql, known: KnownCatalog, e: ReturnType<typeof event>) {
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const done = recordEvents(
    sql,
    [e],
    async (tx, result) => {
      const out = await afterEventsRecorded(tx, result)
      await held
      return out
    },
    known
  )
  return { done, release }
}

const record = (sql: Sql, known: KnownCatalog, e: ReturnType<typeof event>) =>
  recordEvents(sql, [e], afterEventsRecorded, known)

describe('release progress and a concurrent recording', () => {
  it('an automatic release made by one release service sees what another records meanwhile', async () => {
    await record(a, knownByA, event('api', '1.0.0', 'staging', 'started'))
    await record(b, knownByB, event('api', '1.0.0', 'production-eu', 'started'))
    // A: the version's first success in production makes the automatic release; held open
    const first = recordHeld(a, knownByA, event('api', '1.0.0', 'production', 'completed'))
    await sleep(300)
    // B: the same version fails in staging, while A has not committed
    const second = record(b, knownByB, event('api', '1.0.0', 'staging', 'failed'))
    await sleep(300)
    first.release()
    await Promise.all([first.done, second])
    const [auto] = await a<{ id: string }[]>`select id from release where automatic`
    expect(auto).toBeDefined()
    expect((await checkConsistency(a)).mismatches).toEqual([])
  })

  it('a version added to a release while its deployment is being recorded', async () => {
    await record(b, knownByB, event('web', 'v7', 'staging', 'started'))
    const { id } = await createRelease(a, 'test', {
      name: 'R',
      status: 'draft',
      visible_on_charts: true,
    })
    // the recording has looked for the version's releases (none yet) and is held open
    const recording = recordHeld(b, knownByB, event('web', 'v7', 'staging', 'completed'))
    await sleep(300)
    const added = addVersion(a, 'test', id, { product_name: 'web', version: 'v7' })
    await sleep(300)
    recording.release()
    await Promise.all([recording.done, added])
    const [row] = await a<
      { versions_count: number }[]
    >`select versions_count from release where id = ${id}`
    expect(row!.versions_count).toBe(1)
    expect((await checkConsistency(a)).mismatches).toEqual([])
  })
})
