/**
 * Duplicate and out-of-order storms: a fixed set of deployments whose final board is known by
 * construction (each cell ends on a failed newest version above its last good one), posted many
 * times over, concurrently, in shuffled order, singly and in batches, and again later. Whatever
 * the order and repetition, each event must be stored once and the board must end as built.
 */
import { createHash } from 'node:crypto'

import { environmentId, productId } from '@shiplog/contracts'

import type { Ledger, Sent } from './ledger.ts'
import type { Reporter } from './reporter.ts'
import type { System } from './system.ts'
import { random } from './workload.ts'

const VERSIONS = 5
const ENVIRONMENTS = ['staging', 'production']
const T0 = Date.parse('2026-06-01T08:00:00Z')
const minutes = (n: number) => n * 60_000

export interface Storm {
  events: Sent[]
  products: string[]
  /** For each product × environment: the version shown and its status, and the last good one. */
  expected: Map<string, { version: string; status: string; lastSuccess: string }>
}

/**
 * Version i is queued a minute before T0 + 10i min, started then, and completes 2 min later; the
 * newest version fails. Arriving in any order, the earlier stages must change nothing visible.
 */
export function buildStorm(ledger: Ledger, phase: string, products = 4): Storm {
  const names = Array.from({ length: products }, (_, i) => `storm-${ledger.run}-${i}`)
  const events: Sent[] = []
  const add = (
    fields: Pick<Sent['input'], 'product_name' | 'version' | 'environment_name' | 'status'> & {
      started_at: string
      completed_at?: string
    },
    mode: Sent['mode']
  ) => {
    const key = ledger.nextKey(phase)
    const input = {
      ...fields,
      scm_sha: createHash('sha1').update(`${fields.product_name}@${fields.version}`).digest('hex'),
      extra_metadata: { probe: key },
      ...(mode === 'event_id' ? { event_id: key } : {}),
      ...(mode === 'invoke' ? { invoke_id: `storm-${key}` } : {}),
    }
    events.push(
      ledger.add({
        key,
        phase,
        mode,
        id: mode === 'invoke' ? undefined : key,
        input,
        statuses: [],
        firstSentAt: 0,
        ackedAt: undefined,
        expect: 'stored',
      })
    )
  }
  const modes = ['event_id', 'header', 'invoke'] as const
  let n = 0
  for (const product of names) {
    for (const environment of ENVIRONMENTS) {
      for (let v = 1; v <= VERSIONS; v++) {
        const start = T0 + minutes(10 * v)
        const base = { product_name: product, version: `${v}.0.0`, environment_name: environment }
        const last = v === VERSIONS
        add({ ...base, status: 'queued', started_at: iso(start - minutes(1)) }, modes[n++ % 3]!)
        add({ ...base, status: 'in_progress', started_at: iso(start) }, modes[n++ % 3]!)
        add(
          {
            ...base,
            status: last ? 'failed' : 'success',
            started_at: iso(start),
            completed_at: iso(start + minutes(2)),
          },
          modes[n++ % 3]!
        )
      }
    }
  }
  const expected = new Map<string, { version: string; status: string; lastSuccess: string }>()
  for (const product of names) {
    for (const environment of ENVIRONMENTS) {
      expected.set(`${productId(product)}/${environmentId(environment)}`, {
        version: `${VERSIONS}.0.0`,
        status: 'failed',
        lastSuccess: `${VERSIONS - 1}.0.0`,
      })
    }
  }
  return { events, products: names, expected }
}

const iso = (ms: number) => new Date(ms).toISOString()

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * One wave: every event `copies` times, all at once, each copy in its own shuffled order, half
 * the copies singly and half in batches (events keyed by header go singly: batches take none).
 */
export async function stormWave(storm: Storm, reporter: Reporter, copies: number, seed: number) {
  const rand = random(seed)
  const sends: Array<Promise<void>> = []
  for (let c = 0; c < copies; c++) {
    const order = shuffled(storm.events, rand)
    if (c % 2 === 0) {
      sends.push(...order.map((s) => reporter.single(s)))
    } else {
      const batchable = order.filter((s) => s.mode !== 'header')
      for (let i = 0; i < batchable.length; i += 20) {
        sends.push(reporter.batch(batchable.slice(i, i + 20)))
      }
      sends.push(...order.filter((s) => s.mode === 'header').map((s) => reporter.single(s)))
    }
  }
  await Promise.all(sends)
}

/** The storm's cells as the board shows them, in the shape of `Storm.expected`. */
export async function stormBoard(system: System, storm: Storm) {
  const rows = await system.sql<
    { key: string; version: string; status: string; last_success: string | null }[]
  >`
    select s.product_id || '/' || s.environment_id as key, v.version, d.status, lv.version as last_success
    from environment_state s
    join product p on p.id = s.product_id
    join deployment d on d.id = s.current_id
    join version v on v.id = d.version_id
    left join deployment ls on ls.id = s.last_success_id
    left join version lv on lv.id = ls.version_id
    where p.name = any(${storm.products})`
  return new Map(
    rows.map((r) => [
      r.key,
      { version: r.version, status: r.status, lastSuccess: r.last_success ?? '' },
    ])
  )
}
