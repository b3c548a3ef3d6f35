/**
 * The pipeline end to end on a real JetStream and a real Postgres: an event posted to ingest is
 * recorded by the release service exactly once, in the right state, whatever order, repetition
 * or outage it meets on the way.
 */
import { deploymentId, environmentId, productId, versionId } from '@shiplog/contracts'
import { migrate } from '@shiplog/release/migrate'
import { connectPostgres } from '@shiplog/release/db'
import {
  TcpProxy,
  createTestDatabase,
  eventually,
  hostPort,
  sleep,
  testLogger,
} from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { checkConsistency } from './checker.ts'
import { deployment, startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline

beforeAll(async () => {
  p = await startPipeline()
})
afterAll(() => p.stop())

async function post(event: Record<string, unknown>, path = '/v1/deployment-events') {
  const res = await p.post(path, event)
  expect([200, 202]).toContain(res.status)
  return (await res.json()) as { id: string; deployment_id: string }
}

async function stored(eventId: string, q = p) {
  await eventually(async () => {
    const [row] = await q.sql`select 1 from event where id = ${eventId}`
    expect(row).toBeDefined()
  })
}

async function cell(product: string, environment: string, q = p) {
  const [row] = await q.sql<{ version: string; status: string; last_success: string | null }[]>`
    select v.version, d.status, lv.version as last_success
    from environment_state s
    join deployment d on d.id = s.current_id
    join version v on v.id = d.version_id
    left join deployment ls on ls.id = s.last_success_id
    left join version lv on lv.id = ls.version_id
    where s.product_id = ${productId(product)} and s.environment_id = ${environmentId(environment)}`
  return row
}

describe('recording', () => {
  it('turns a posted deployment into catalog, event, deployment and board rows', async () => {
    const e = deployment({
      version: '4.2.0',
      environment_name: 'production-eu',
      deployed_by: 'alice',
      scm_sha: 'cafe01',
      extra_metadata: { ticket: 'OPS-1' },
    })
    const { id } = await post(e)
    await stored(id)
    const [d] =
      await p.sql`select * from deployment where id = ${deploymentId(e.product_name, '4.2.0', 'production-eu')}`
    expect(d).toMatchObject({
      status: 'completed',
      deployed_by: 'alice',
      extra_metadata: { ticket: 'OPS-1' },
    })
    const [env] =
      await p.sql`select name, type from environment where id = ${environmentId('production-eu')}`
    expect(env).toEqual({ name: 'production-eu', type: 'production' })
    const [v] =
      await p.sql`select version, scm_sha from version where id = ${versionId(e.product_name, '4.2.0')}`
    expect(v).toEqual({ version: '4.2.0', scm_sha: 'cafe01' })
    const [ev] =
      await p.sql`select kind, status, outcome, reporter, payload from event where id = ${id}`
    expect(ev).toMatchObject({
      kind: 'deployment',
      status: 'completed',
      outcome: 'applied',
      reporter: 'ci',
    })
    expect(await cell(e.product_name, 'production-eu')).toEqual({
      version: '4.2.0',
      status: 'completed',
      last_success: '4.2.0',
    })
  })

  it('records build events on the version', async () => {
    const product = `lib-${Date.now()}`
    const { id } = await post(
      {
        product_name: product,
        version: '1.0.0',
        status: 'success',
        built_by: 'ci-bot',
        scm_branch: 'main',
      },
      '/v1/build-events'
    )
    await stored(id)
    const [v] =
      await p.sql`select build_status, built_by, scm_branch from version where id = ${versionId(product, '1.0.0')}`
    expect(v).toEqual({ build_status: 'completed', built_by: 'ci-bot', scm_branch: 'main' })
  })
})

describe('order and lateness', () => {
  it('keeps completed when its started arrives after it', async () => {
    const base = deployment({ version: '1.0.0' })
    const done = await post({ ...base, status: 'completed', completed_at: '2026-03-01T10:05:00Z' })
    await stored(done.id)
    const start = await post({ ...base, status: 'started', started_at: '2026-03-01T10:00:00Z' })
    await stored(start.id)
    expect(await cell(base.product_name, 'production')).toMatchObject({
      version: '1.0.0',
      status: 'completed',
    })
    const [d] = await p.sql`select started_at from deployment where id = ${done.deployment_id}`
    expect(d!.started_at.toISOString()).toBe('2026-03-01T10:00:00.000Z')
  })

  it("leaves the newer version in place when an older version's event arrives late", async () => {
    const product = deployment().product_name
    const v2 = await post({
      product_name: product,
      version: '2.0.0',
      environment_name: 'production',
      status: 'completed',
      completed_at: '2026-03-02T12:00:00Z',
    })
    await stored(v2.id)
    const v1 = await post({
      product_name: product,
      version: '1.0.0',
      environment_name: 'production',
      status: 'completed',
      completed_at: '2026-03-02T09:00:00Z',
    })
    await stored(v1.id)
    expect(await cell(product, 'production')).toEqual({
      version: '2.0.0',
      status: 'completed',
      last_success: '2.0.0',
    })
  })

  it('shows a failed deployment with the last good version under it', async () => {
    const product = deployment().product_name
    for (const [version, status, at] of [
      ['1.0.0', 'completed', '2026-03-03T09:00:00Z'],
      ['1.1.0', 'started', '2026-03-03T10:00:00Z'],
      ['1.1.0', 'failed', '2026-03-03T10:02:00Z'],
    ] as const) {
      await stored(
        (
          await post({
            product_name: product,
            version,
            environment_name: 'staging',
            status,
            started_at: at,
            completed_at: at,
          })
        ).id
      )
    }
    expect(await cell(product, 'staging')).toEqual({
      version: '1.1.0',
      status: 'failed',
      last_success: '1.0.0',
    })
  })
})

describe('duplicates', () => {
  it('stores an event posted many times, concurrently, once', async () => {
    const e = deployment({ event_id: `dup-${Date.now()}` })
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => p.post('/v1/deployment-events', e))
    )
    expect(answers.map((r) => r.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 202,
    ])
    await stored(e.event_id)
    await sleep(300)
    const [{ n }] =
      (await p.sql`select count(*)::int as n from event where id = ${e.event_id}`) as unknown as [
        { n: number },
      ]
    expect(n).toBe(1)
  })

  it('stores an event once when it is re-posted after the JetStream dedupe window', async () => {
    const q = await startPipeline({ dedupeWindowMs: 1000 })
    try {
      const e = deployment({ event_id: `late-dup-${Date.now()}` })
      expect((await q.post('/v1/deployment-events', e)).status).toBe(202)
      await stored(e.event_id, q)
      await sleep(1500)
      // JetStream has forgotten the id, so it accepts the event again...
      expect((await q.post('/v1/deployment-events', e)).status).toBe(202)
      await eventually(async () =>
        expect(
          (await q.nats.jsm.consumers.info(q.names.eventStream, q.names.eventConsumer)).num_pending
        ).toBe(0)
      )
      await sleep(300)
      // ...and Postgres's primary key keeps it once
      const rows = await q.sql`select id from event where id = ${e.event_id}`
      expect(rows).toHaveLength(1)
    } finally {
      await q.stop()
    }
  })
})

describe('version immutability', () => {
  it('keeps the first SHA and does not apply an event that names another', async () => {
    const product = deployment().product_name
    const first = await post(
      { product_name: product, version: '5.0.0', status: 'completed', scm_sha: 'a1' },
      '/v1/build-events'
    )
    await stored(first.id)
    // Published straight to JetStream, as ingest would if its claim bucket had been lost.
    const rogue = {
      kind: 'deployment',
      id: `rogue-${Date.now()}`,
      product_name: product,
      version: '5.0.0',
      environment_name: 'production',
      status: 'completed',
      scm_sha: 'b2',
      received_at: new Date().toISOString(),
      reporter: null,
    }
    await p.nats.js.publish(p.names.eventSubject('deployment'), JSON.stringify(rogue))
    await stored(rogue.id)
    const [ev] = await p.sql`select outcome from event where id = ${rogue.id}`
    expect(ev!.outcome).toBe('sha_conflict')
    const [v] = await p.sql`select scm_sha from version where id = ${versionId(product, '5.0.0')}`
    expect(v!.scm_sha).toBe('a1')
    expect(await cell(product, 'production')).toBeUndefined()
  })
})

describe('failures', () => {
  it('loses and doubles nothing while Postgres is away and comes back', async () => {
    const proxy = await TcpProxy.start(hostPort(p.databaseUrl))
    const q = await startPipeline({ releaseDatabaseUrl: (url) => proxy.rewrite(url) })
    try {
      const warmup = deployment()
      await stored(
        ((await (await q.post('/v1/deployment-events', warmup)).json()) as { id: string }).id,
        q
      )
      proxy.down()
      const product = deployment().product_name
      const ids: string[] = []
      for (let i = 0; i < 60; i++) {
        const res = await q.post(
          '/v1/deployment-events',
          deployment({
            product_name: product,
            version: `1.0.${i}`,
            environment_name: `env-${i % 3}`,
          })
        )
        expect(res.status).toBe(202) // ingest keeps accepting: it needs no Postgres
        ids.push(((await res.json()) as { id: string }).id)
      }
      await sleep(2500)
      const [{ n: during }] =
        (await q.sql`select count(*)::int as n from event where id = any(${ids})`) as unknown as [
          { n: number },
        ]
      expect(during).toBe(0)
      proxy.up()
      await eventually(
        async () => {
          const rows = await q.sql`select id from event where id = any(${ids})`
          expect(rows).toHaveLength(60)
        },
        { timeout: 30_000 }
      )
      expect(await q.sql`select * from dead_letter`).toHaveLength(0)
      const check = await checkConsistency(q.sql)
      expect(check).toMatchObject({ duplicateEvents: 0, mismatches: [] })
      expect(check.events).toBe(61)
    } finally {
      await q.stop()
      await proxy.close()
    }
  })

  it('dead-letters a poison message after bounded retries while the rest flow', async () => {
    const q = await startPipeline({ maxAttempts: 3, retryBaseMs: 100, maxBatch: 50 })
    try {
      // A constraint this one event can never satisfy: every attempt fails in Postgres.
      await q.sql`
        create function reject_poison() returns trigger language plpgsql as $$
        begin
          if new.name like 'poison%' then raise exception 'poison product' using errcode = '23514'; end if;
          return new;
        end $$`
      await q.sql`create trigger reject_poison before insert on product for each row execute function reject_poison()`
      const good = Array.from({ length: 20 }, () => deployment())
      const events = [
        ...good.slice(0, 10),
        deployment({ product_name: 'poison-pill' }),
        ...good.slice(10),
      ]
      const res = await q.post('/v1/deployment-events/batch', events)
      expect(res.status).toBe(202)
      await q.nats.js.publish(q.names.eventSubject('deployment'), 'not json at all')

      await eventually(
        async () => {
          const rows = await q.sql`select count(*)::int as n from event`
          expect(rows[0]!.n).toBe(20)
          const dead = await q.sql<
            { error: string; deliveries: number; data: Buffer }[]
          >`select error, deliveries, data from dead_letter order by id`
          expect(dead).toHaveLength(2)
        },
        { timeout: 20_000 }
      )
      const dead = await q.sql<
        { error: string; deliveries: number; data: Buffer }[]
      >`select error, deliveries, data from dead_letter order by id`
      const poison = dead.find((d) => d.error.includes('poison product'))!
      expect(poison.deliveries).toBe(3)
      expect(JSON.parse(poison.data.toString()).product_name).toBe('poison-pill')
      const garbage = dead.find((d) => d.data.toString() === 'not json at all')!
      expect(garbage.deliveries).toBe(1)
      expect(garbage.error).toMatch(/not JSON/)
      await eventually(async () =>
        expect(
          (await q.nats.jsm.consumers.info(q.names.eventStream, q.names.eventConsumer))
            .num_ack_pending
        ).toBe(0)
      )
    } finally {
      await q.stop()
    }
  })

  it('counts nothing twice with three release services on one stream', async () => {
    // Few cells and many small concurrent batches: the instances contend for the same rows.
    const q = await startPipeline({ releases: 3, maxBatch: 4, dedupeWindowMs: 500 })
    try {
      const products = ['a', 'b'].map((x) => `${x}-${Date.now()}`)
      const events = Array.from({ length: 600 }, (_, i) =>
        deployment({
          event_id: `pair-${Date.now()}-${i}`,
          product_name: products[i % 2],
          version: `1.${i % 3}.0`,
          environment_name: i % 5 ? 'production' : 'staging',
          status: ['started', 'completed', 'failed', 'pending'][i % 4],
          completed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, (i * 7919) % 600)).toISOString(),
          started_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, (i * 7919) % 600)).toISOString(),
        })
      )
      const chunks = Array.from({ length: 30 }, (_, i) => events.slice(i * 20, i * 20 + 20))
      await Promise.all(chunks.map((c) => q.post('/v1/deployment-events/batch', c)))
      // and again after JetStream's dedupe window, so both services meet every event twice
      await sleep(700)
      await Promise.all(chunks.reverse().map((c) => q.post('/v1/deployment-events/batch', c)))
      await eventually(
        async () => {
          const info = await q.nats.jsm.consumers.info(q.names.eventStream, q.names.eventConsumer)
          expect(info.num_pending + info.num_ack_pending).toBe(0)
        },
        { timeout: 30_000 }
      )
      const check = await checkConsistency(q.sql)
      expect(check).toEqual({ events: 600, duplicateEvents: 0, mismatches: [] })
    } finally {
      await q.stop()
    }
  })
})

describe('migrations', () => {
  it('apply once when several instances start at the same time', async () => {
    const db = await createTestDatabase()
    const log = testLogger()
    const conns = [1, 2, 3].map(() => connectPostgres(db.url, log, { max: 1 }))
    try {
      const applied = await Promise.all(conns.map((sql) => migrate(sql, log)))
      expect(applied.flat().length).toBeGreaterThan(0)
      expect(applied.filter((a) => a.length > 0)).toHaveLength(1)
      const rows = await conns[0]!`select version from schema_migration`
      expect(rows.length).toBe(applied.flat().length)
    } finally {
      await Promise.all(conns.map((sql) => sql.end()))
      await db.drop()
    }
  })
})
