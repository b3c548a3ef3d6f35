/**
 * The fault-injection suite (`pnpm test:faults`). One Shiplog, on a nats-server and a Postgres
 * cluster of its own, lives through every fault in turn under steady load, as an install would.
 * A load generator logs every event and every answer (faults/support/ledger.ts); part of the load
 * deploys the versions of releases made through the API (faults/support/releases.ts), and
 * headless dashboards watch the board and those releases over Socket.IO the whole time
 * (faults/support/viewers.ts). After each fault the checker proves that every event answered 2xx
 * is in Postgres exactly once and unaltered, that the board and every release's progress equal a
 * recomputation from the stored events, and that every viewer's live view converged to what the
 * API answers and the stored events say. The summary table is printed at the end.
 */
import { randomBytes } from 'node:crypto'

import { TokenStore, createLogger } from '@shiplog/kit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { canonical } from '../test/checker.ts'
import { sleep, waitFor } from './support/children.ts'
import { GatewayClient } from './support/gateway-client.ts'
import { HOSTILE, type Tokens } from './support/hostile.ts'
import { acked, type Sent } from './support/ledger.ts'
import { createReleases } from './support/releases.ts'
import {
  answerProbe,
  drained,
  openLab,
  underLoad,
  type Lab,
  type ProbedAnswer,
} from './support/scenario.ts'
import type { ServiceName, ServiceProcess } from './support/services.ts'
import { buildStorm, stormBoard, stormWave, type Storm } from './support/storm.ts'
import { formatSummary, type Row } from './support/summary.ts'
import { System } from './support/system.ts'
import { deadLetterCount, judge, problems, type Verdict } from './support/verdict.ts'
import { openViewers, type Viewer } from './support/viewers.ts'

/** The services under test, started in this order (the release service first: it migrates). */
const SERVICES: readonly ServiceName[] = ['release', 'ingest', 'gateway']
/** Headless dashboards on the first gateway for the whole suite. */
const VIEWERS = 4
const MAX_ATTEMPTS = 5
const DEDUPE_WINDOW_S = 120

const run = randomBytes(4).toString('hex')
let lab: Lab
let storm: Storm
let stormStartedAt = 0
const rows: Row[] = []

beforeAll(async () => {
  const system = await System.start({
    label: 'faults',
    services: SERVICES,
    serviceEnv: {
      RELEASE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      SHIPLOG_DEDUPE_WINDOW_SECONDS: String(DEDUPE_WINDOW_S),
    },
  })
  lab = openLab(system, run)
  lab.releases = await createReleases(lab.api, system.sql, lab.reporter, lab.workload)
  lab.viewers.push(
    ...(await openViewers('viewer', VIEWERS, system.gatewayUrl, system.token, lab.releases))
  )
}, 120_000)

let failed = false

afterAll(async () => {
  console.log(`\nFault suite summary (run ${run})\n${formatSummary(rows)}\n`)
  for (const viewer of lab?.viewers ?? []) viewer.close()
  await lab?.client.close()
  // after a failure the logs stay (their directory is printed)
  await lab?.system.stop({ keep: failed })
}, 120_000)

// A fault that failed half-way must not leave the next one a broken system.
beforeEach(async (context) => {
  context.onTestFailed(() => {
    failed = true
  })
  if (!lab) return
  const { system } = lab
  await system.nats.start()
  if (system.postgres.pid === undefined) await system.postgres.start()
  for (const s of system.instances) if (!s.running()) await s.start()
})

function expectClean(v: Verdict, note?: string): void {
  rows.push({ ...v, ...(note ? { note } : {}) })
  expect(problems(v), `${v.fault}: ${JSON.stringify(problems(v))}`).toEqual([])
  expect(v.acknowledged).toBeGreaterThan(0)
}

// No service may die by itself, whatever is done to the others.
afterEach(() => {
  const crashes = lab?.system.instances.flatMap((s) => s.crashes.splice(0)) ?? []
  expect(crashes).toEqual([])
})

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

describe('duplicate and out-of-order storms', () => {
  it('stores each stormed event once and shows the board the events describe', async () => {
    storm = buildStorm(lab.ledger, 'storm-events')
    const verdict = await underLoad(lab, {
      phase: 'storm-load',
      inject: async () => {
        stormStartedAt = Date.now()
        await stormWave(storm, lab.reporter, 4, 1)
        await sleep(1000)
        await stormWave(storm, lab.reporter, 3, 2)
        return undefined
      },
    })
    const events = await judge(lab.system, lab.ledger, 'storm-events', { deadLettersBefore: 0 })
    expectClean(verdict)
    expectClean(events, `${storm.events.length} events × 7 posts, shuffled`)
    expect(events.stored).toBe(storm.events.length)
    expect(await stormBoard(lab.system, storm)).toEqual(storm.expected)
  }, 180_000)
})

describe('crashes', () => {
  for (const round of [1, 2, 3]) {
    it(`kill -9 of the release service mid-batch (${round} of 3)`, async () => {
      const { system } = lab
      const release = system.service('release')
      let caught = false
      const verdict = await underLoad(lab, {
        phase: `kill-release-${round}`,
        inject: async () => {
          // a batch in hand makes the kill land inside a transaction that has written rows
          void lab.reporter.batch(
            Array.from({ length: 300 }, () =>
              lab.workload.next(`kill-release-${round}`, 'event_id')
            )
          )
          caught = await killMidTransaction(system, release)
          await sleep(500)
          await release.start()
          return Date.now()
        },
        recoveryTimeoutMs: 90_000,
      })
      expectClean(
        verdict,
        caught ? 'killed inside an open transaction' : 'killed between transactions'
      )
      expect(caught).toBe(true)
    }, 240_000)
  }

  it('kill -9 of ingest: clients retry, nothing is lost or doubled', async () => {
    const ingest = lab.system.service('ingest')
    const verdict = await underLoad(lab, {
      phase: 'kill-ingest',
      inject: async () => {
        await ingest.kill()
        await sleep(1000)
        await ingest.start()
        return Date.now()
      },
    })
    const unanswered = lab.ledger.attempts.filter(
      (a) => a.phase === 'kill-ingest' && a.status === 0
    ).length
    expectClean(verdict, `${unanswered} requests cut off, retried`)
    expect(unanswered).toBeGreaterThan(0)
  }, 180_000)

  it('kill -9 of the gateway: its Socket.IO clients reconnect by themselves and converge', async () => {
    const gateway = lab.system.service('gateway')
    const viewers = lab.viewers.filter((v) => v.api.url === gateway.url)
    const connects = viewers.map((v) => v.stats.connects)
    const reasons = viewers.map((v) => v.stats.disconnects.length)
    let reconnectedAfterMs = 0
    const verdict = await underLoad(lab, {
      phase: 'kill-gateway',
      inject: async () => {
        await gateway.kill()
        // what commits meanwhile reaches no viewer: they must catch up by themselves
        await sleep(2000)
        await gateway.start()
        const up = Date.now()
        // nobody tells them to: Socket.IO's own reconnection brings them back
        await waitFor(
          () =>
            viewers.every((v, i) => v.stats.connects > connects[i]! && v.synced) ? true : undefined,
          { timeoutMs: 30_000, message: 'the viewers did not reconnect and resync' }
        )
        reconnectedAfterMs = Date.now() - up
        // and live messages flow again on top of the snapshot
        await waitFor(
          () => (viewers.every((v) => v.stats.messagesSinceConnect > 0) ? true : undefined),
          { timeoutMs: 10_000, message: 'no live messages after the reconnect' }
        )
        return up
      },
    })
    const why = new Set(viewers.flatMap((v, i) => v.stats.disconnects.slice(reasons[i])))
    expectClean(
      verdict,
      `${viewers.length} viewers cut off (${[...why].join(', ')}), all back ${seconds(reconnectedAfterMs)} after the restart`
    )
    expect(viewers.length).toBeGreaterThan(0)
    // cut off by the crash, not told to leave
    expect([...why].filter((r) => r === 'io server disconnect')).toEqual([])
    expect(verdict.views?.converged).toBe(viewers.length)
  }, 180_000)
})

describe('NATS', () => {
  it('restarted under load: ingest answers 503 at once meanwhile, everything recovers', async () => {
    const { system } = lab
    const pids = system.instances.map((s) => s.pid)
    // the probe stops once NATS is back: its events are then all in before the checker looks
    const probe = answerProbe(lab, 'nats-restart', 50)
    let down = 0
    let starting = 0
    let up = 0
    let verdict: Verdict
    try {
      verdict = await underLoad(lab, {
        phase: 'nats-restart',
        inject: async () => {
          down = Date.now()
          await system.nats.stop('SIGTERM')
          await sleep(3000)
          starting = Date.now()
          await system.nats.start()
          up = Date.now()
          await probe.stop()
          return up
        },
      })
    } finally {
      await probe.stop()
    }
    // while down: from a second after the kill until the restart began (start() returns once
    // NATS accepts connections, and ingest may have reconnected and answered 202 by then)
    const during = probe.between(down + 1000, starting)
    expectClean(verdict, promptness(during))
    expect(system.instances.map((s) => s.pid)).toEqual(pids)
    expect(during.length).toBeGreaterThan(2)
    expectPrompt503s(during)
  }, 180_000)

  it('down for 60 s (past the client default reconnect budget): 503s, then every service recovers by itself', async () => {
    const { system } = lab
    const pids = system.instances.map((s) => s.pid)
    const probe = answerProbe(lab, 'nats-down-60s')
    let down = 0
    let starting = 0
    let up = 0
    let readyWhileDown: boolean[] = []
    let verdict: Verdict
    try {
      verdict = await underLoad(lab, {
        phase: 'nats-down-60s',
        inject: async () => {
          down = Date.now()
          await system.nats.stop('SIGKILL')
          await sleep(30_000)
          readyWhileDown = await Promise.all(system.instances.map((s) => s.ready()))
          await sleep(30_000)
          starting = Date.now()
          await system.nats.start()
          up = Date.now()
          await probe.stop()
          return up
        },
        recoveryTimeoutMs: 90_000,
      })
    } finally {
      await probe.stop()
    }
    // while down: from a second after the kill until the restart began (start() returns once
    // NATS accepts connections, and ingest may have reconnected and answered 202 by then)
    const during = probe.between(down + 1000, starting)
    expectClean(verdict, promptness(during))
    expect(readyWhileDown.every((r) => !r)).toBe(true)
    expect(system.instances.map((s) => s.pid)).toEqual(pids)
    expect(await Promise.all(system.instances.map((s) => s.ready()))).toEqual(
      system.instances.map(() => true)
    )
    expect(during.length).toBeGreaterThan(100)
    expectPrompt503s(during)
  }, 300_000)
})

describe('Postgres', () => {
  it('stopped for 60 s: ingest keeps accepting, nothing is dead-lettered, the backlog drains', async () => {
    const { system } = lab
    let down = 0
    let up = 0
    let peakBacklog = 0
    const verdict = await underLoad(lab, {
      phase: 'postgres-down-60s',
      inject: async () => {
        down = Date.now()
        await system.postgres.stop('immediate')
        await sleep(58_000)
        peakBacklog = (await system.backlog()).messages
        await sleep(2000)
        await system.postgres.start()
        up = Date.now()
        return up
      },
      recoveryTimeoutMs: 120_000,
    })
    const during = answersBetween('postgres-down-60s', down, up)
    expectClean(
      verdict,
      `backlog peaked at ${peakBacklog} events; ${during.statuses.length} requests while down, all 2xx`
    )
    expect(during.statuses.filter((s) => s < 200 || s >= 300)).toEqual([])
    expect(peakBacklog).toBeGreaterThan(1000)
    expect(verdict.deadLettered).toBe(0)
  }, 300_000)
})

describe('poison', () => {
  it('a message that always fails is dead-lettered after bounded retries; the rest flow', async () => {
    const { system } = lab
    // An event that passes validation but can never be stored: a constraint only it violates.
    await system.sql`
      create or replace function reject_poison() returns trigger language plpgsql as $$
      begin
        if new.name like 'poison-%' then raise exception 'poison product' using errcode = '23514'; end if;
        return new;
      end $$`
    await system.sql`create trigger reject_poison before insert on product for each row execute function reject_poison()`
    let poison: Sent | undefined
    try {
      const before = await deadLetterCount(system)
      const verdict = await underLoad(lab, {
        phase: 'poison',
        inject: async () => {
          poison = lab.workload.next('poison', 'event_id', { product_name: `poison-${run}` })
          poison.expect = 'dead-letter'
          const good = Array.from({ length: 40 }, () => lab.workload.next('poison', 'event_id'))
          await lab.reporter.batch([...good.slice(0, 20), poison, ...good.slice(20)])
          // and one that is not even an event, straight into the stream
          const { js } = await system.admin()
          await js.publish(system.names.eventSubject('deployment'), 'not json at all')
          await waitFor(
            async () => ((await deadLetterCount(system)) >= before + 2 ? true : undefined),
            {
              timeoutMs: 90_000,
              message: 'the poison was not dead-lettered',
            }
          )
          return undefined
        },
      })
      const dead = await system.sql<{ error: string; deliveries: number; data: Buffer }[]>`
        select error, deliveries, data from dead_letter order by id desc limit 2`
      const pill = dead.find((d) => d.data.toString().includes(poison!.key))
      const garbage = dead.find((d) => d.data.toString() === 'not json at all')
      // the garbage is a planted dead letter too, but it is not an event the ledger knows
      expectClean(
        { ...verdict, unexpectedDeadLetters: verdict.unexpectedDeadLetters - 1 },
        `poison after ${pill?.deliveries} deliveries`
      )
      expect(pill?.deliveries).toBe(MAX_ATTEMPTS)
      expect(pill?.error).toMatch(/poison product/)
      expect(garbage?.deliveries).toBe(1)
      expect(verdict.deadLettered).toBe(2)
    } finally {
      await system.sql`drop trigger if exists reject_poison on product`
    }
  }, 180_000)
})

describe('restarts', () => {
  it('SIGTERM to every service in turn (a rolling restart): no errors beyond retries, nothing lost', async () => {
    const { system } = lab
    const exits: string[] = []
    const verdict = await underLoad(lab, {
      phase: 'rolling-restart',
      inject: async () => {
        for (const service of [...system.instances]) {
          const exit = await service.terminate()
          exits.push(`${service.instance} ${exit.code ?? exit.signal} in ${seconds(exit.ms)}`)
          expect(exit.code, `${service.instance} exit`).toBe(0)
          await service.start()
          await sleep(1000)
        }
        return Date.now()
      },
    })
    const retried = lab.ledger.attempts.filter(
      (a) => a.phase === 'rolling-restart' && (a.status === 0 || a.status === 503)
    ).length
    const gaveUp = lab.ledger.phase('rolling-restart').filter((s) => !acked(s))
    expectClean(verdict, `${exits.join(', ')}; ${retried} retried requests`)
    expect(gaveUp.map((s) => `${s.key}: ${s.statuses.join(',')}`)).toEqual([])
  }, 180_000)

  it('two release services at once: same final state, nothing counted twice', async () => {
    const { system } = lab
    const second = await system.addInstance('release')
    let pullers = 0
    try {
      const verdict = await underLoad(lab, {
        phase: 'two-releases',
        load: { singlesPerSecond: 150, batchesPerSecond: 4, batchSize: 25 },
        inject: async () => {
          await sleep(5000)
          const { jsm } = await system.admin()
          pullers = (await jsm.consumers.info(system.names.eventStream, system.names.eventConsumer))
            .num_waiting
          await sleep(5000)
          return undefined
        },
      })
      expectClean(verdict, `${pullers} pull requests waiting (both instances consuming)`)
      expect(pullers).toBeGreaterThanOrEqual(2)
    } finally {
      await system.removeInstance(second)
    }
  }, 180_000)

  it('two gateways and two release services at once: viewers on both converge to the same state, nothing counted twice', async () => {
    const { system } = lab
    const gateway2 = await system.addInstance('gateway')
    const release2 = await system.addInstance('release')
    const api2 = new GatewayClient(gateway2.url, system.token)
    let second: Viewer[] = []
    let edited: { id: string; requests: Record<string, number> } | undefined
    try {
      second = await openViewers('viewer-gw2', 3, gateway2.url, system.token, lab.releases)
      lab.viewers.push(...second)
      const verdict = await underLoad(lab, {
        phase: 'two-gateways',
        inject: async () => {
          await sleep(3000)
          edited = await editThroughBoth(lab.api, api2)
          await sleep(3000)
          return undefined
        },
      })
      const first = lab.viewers.filter((v) => v.api.url === system.gatewayUrl)
      // the release changed through both gateways: each request recorded once
      const history = await system.sql<{ action: string; n: number }[]>`
        select action, count(*)::int as n from release_history
        where release_id = ${edited!.id} and actor <> 'shiplog' group by action`
      const [members] = await system.sql<{ n: number }[]>`
        select count(*)::int as n from release_version where release_id = ${edited!.id}`
      expectClean(
        verdict,
        `${first.length} + ${second.length} viewers on two gateways; ${Object.values(edited!.requests).reduce((a, b) => a + b)} release changes through both, each recorded once`
      )
      expect(Object.fromEntries(history.map((h) => [h.action, h.n]))).toEqual(edited!.requests)
      expect(members!.n).toBe(2)
      expect(verdict.views?.converged).toBe(first.length + second.length)
      // both gateways pushed live messages, and their viewers ended in the same state
      expect(second.every((v) => v.stats.messages > 0)).toBe(true)
      for (const v of second) {
        expect(canonical([...v.cells].sort())).toBe(canonical([...first[0]!.cells].sort()))
        expect(canonical([...v.releases].sort())).toBe(canonical([...first[0]!.releases].sort()))
      }
    } finally {
      for (const v of second) v.close()
      lab.viewers = lab.viewers.filter((v) => !second.includes(v))
      await system.removeInstance(gateway2)
      await system.removeInstance(release2)
    }
  }, 180_000)
})

describe('bad and hostile input at load', () => {
  it('refuses each with its 4xx, publishes nothing for it, stores names with SQL and HTML verbatim', async () => {
    const { system } = lab
    const admin = await system.admin()
    const tokens = await TokenStore.open(admin, system.names, createLogger('faults', 'silent'))
    const reader = await tokens.create({ name: 'reader', scopes: ['read'], createdBy: null })
    const old = await tokens.create({ name: 'old', scopes: ['ingest'], createdBy: null })
    await tokens.revoke(old.record.id)
    tokens.stop()
    const secrets: Tokens = { good: system.token, revoked: old.secret, reader: reader.secret }
    const pids = system.instances.map((s) => s.pid)
    const seqBefore = (await system.backlog()).lastSeq
    const wrong: string[] = []
    const verdict = await underLoad(lab, {
      phase: 'hostile',
      inject: async () => {
        const valid = [
          {
            product_name: "x'); drop table event; --",
            version: "1' or '1'='1",
            environment_name: 'production',
          },
          {
            product_name: '<script>alert(1)</script>',
            version: '<b>2</b>',
            environment_name: '"><img src=x onerror=alert(1)>',
          },
          {
            product_name: 'Robert"); DROP TABLE deployment;--',
            version: '${jndi:ldap://x}',
            environment_name: 'staging',
          },
        ]
        await Promise.all(
          valid.map((fields) =>
            lab.reporter.single(lab.workload.next('hostile', 'event_id', fields))
          )
        )
        for (let round = 0; round < 3; round++) {
          await Promise.all(
            HOSTILE.map(async (h) => {
              const answer = await h.send(lab.client, secrets)
              if (!h.expect.includes(answer.status)) {
                wrong.push(
                  `${h.name}: ${answer.status} ${answer.error ?? JSON.stringify(answer.body).slice(0, 200)}`
                )
              }
            })
          )
        }
        return undefined
      },
    })
    // Every 202 is one message JetStream stored; any other publish came from a refused request.
    const hostile = lab.ledger.phase('hostile')
    const published = (await system.backlog()).lastSeq - seqBefore
    const accepted = hostile.filter((s) => s.statuses.includes(202)).length
    const retried = lab.ledger.attempts.filter(
      (a) => a.phase === 'hostile' && (a.status === 0 || a.status >= 500)
    )
    expectClean(
      verdict,
      `${HOSTILE.length} kinds × 3 at load; published ${published} = accepted ${accepted}`
    )
    expect(wrong).toEqual([])
    expect(retried).toEqual([])
    expect(published).toBe(accepted)
    expect(system.instances.map((s) => s.pid)).toEqual(pids)
    const names = await system.sql<
      { name: string }[]
    >`select name from product where name like ${'%DROP TABLE%'} or name like ${'%drop table%'} or name like ${'<script>%'}`
    expect(names.map((n) => n.name).sort()).toEqual(
      [
        "x'); drop table event; --",
        '<script>alert(1)</script>',
        'Robert"); DROP TABLE deployment;--',
      ].sort()
    )
  }, 180_000)
})

describe('duplicate and out-of-order storms, later', () => {
  it('stores nothing twice when the same events come again minutes later, past the dedupe window', async () => {
    if (!storm) throw new Error('run the whole suite: the first storm wave comes first')
    const wait = stormStartedAt + (DEDUPE_WINDOW_S + 10) * 1000 - Date.now()
    if (wait > 0) await sleep(wait)
    const minutesApart = (Date.now() - stormStartedAt) / 60_000
    const before = new Map(storm.events.map((s) => [s.key, s.statuses.length]))
    const verdict = await underLoad(lab, {
      phase: 'storm-later',
      inject: async () => {
        await stormWave(storm, lab.reporter, 3, 3)
        return undefined
      },
    })
    await drained(lab.system)
    const events = await judge(lab.system, lab.ledger, 'storm-events', {
      deadLettersBefore: await deadLetterCount(lab.system),
    })
    // past JetStream's window some re-posts are accepted anew (202): only Postgres's key stops them
    const reaccepted = storm.events.filter((s) =>
      s.statuses.slice(before.get(s.key)).includes(202)
    ).length
    expectClean(verdict)
    expectClean(
      { ...events, fault: 'storm-events (again)' },
      `${minutesApart.toFixed(1)} min later; ${reaccepted} re-accepted by JetStream`
    )
    expect(events.stored).toBe(storm.events.length)
    expect(reaccepted).toBeGreaterThan(0)
    expect(await stormBoard(lab.system, storm)).toEqual(storm.expected)
  }, 300_000)
})

/**
 * A person editing a release, alternating between two gateways: create it, add three of the
 * load's versions, remove one, rename it. Returns the release and how many changes of each kind
 * were answered 2xx (each must be in its history exactly once).
 */
async function editThroughBoth(a: GatewayClient, b: GatewayClient) {
  const { id } = await b.call<{ id: string }>('POST', '/releases', {
    name: 'faults: two gateways',
  })
  const add = (api: GatewayClient, product: string) =>
    api.call('POST', `/releases/${id}/versions`, { product_name: product, version: '2.0.0' })
  await add(a, 'svc-2')
  await add(b, 'svc-3')
  await add(a, 'svc-4')
  const { versions } = await b.get<{
    versions: Array<{ version_id: string; product_name: string }>
  }>(`/releases/${id}`)
  const svc3 = versions.find((v) => v.product_name === 'svc-3')!
  await a.call('DELETE', `/releases/${id}/versions/${svc3.version_id}`)
  await b.call('PATCH', `/releases/${id}`, { description: 'changed through the second gateway' })
  return { id, requests: { created: 1, version_added: 3, version_removed: 1, edited: 1 } }
}

/** Ingest's publish timeout (INGEST_PUBLISH_TIMEOUT_MS): what a request waiting on NATS takes. */
const PUBLISH_TIMEOUT_MS = 5000

/**
 * 503 at once, not after waiting on NATS: typically in milliseconds, and never near the publish
 * timeout (a busy machine may stretch one answer, not the typical one).
 */
function expectPrompt503s(answers: ProbedAnswer[]) {
  expect(answers.filter((a) => a.status !== 503)).toEqual([])
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b)
  expect(ms[Math.floor(ms.length / 2)]).toBeLessThan(100)
  expect(ms.at(-1)).toBeLessThan(PUBLISH_TIMEOUT_MS / 2)
}

function promptness(answers: ProbedAnswer[]) {
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b)
  const median = ms[Math.floor(ms.length / 2)] ?? 0
  return `${answers.length} probes while down: 503 in ${Math.round(median)} ms (median), ≤ ${Math.round(ms.at(-1) ?? 0)} ms`
}

/** Statuses and worst answer time of the requests sent within [from, to). */
function answersBetween(phase: string, from: number, to: number) {
  const attempts = lab.ledger.attempts.filter((a) => a.phase === phase && a.at >= from && a.at < to)
  return {
    statuses: attempts.map((a) => a.status),
    maxMs: Math.max(0, ...attempts.map((a) => a.ms)),
  }
}

/**
 * Waits until the release service holds a transaction that has written rows (it has a
 * transaction id) and kills it then: the kill lands mid-batch, before its commit.
 */
async function killMidTransaction(system: System, release: ServiceProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000
  let caught = false
  while (!caught && Date.now() < deadline) {
    const [open] = await system.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where application_name = 'shiplog-release' and backend_xid is not null`
    caught = open!.n > 0
  }
  // the signal goes out at once, before the first await in kill()
  await release.kill()
  return caught
}
