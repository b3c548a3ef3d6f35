/**
 * The whole board is kept between requests (services/gateway/src/read/board.ts) and refreshed from
 * the cells whose revision moved. Whatever the order of reads and writes, it must equal what a
 * fresh read gives: here, the same board asked for with a product filter, which is never kept.
 */
import { eventually } from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline
const tag = `bc${process.pid}`

async function deploy(fields: Record<string, unknown>) {
  const res = await p.post('/v1/deployment-events', { status: 'success', ...fields })
  expect(res.status).toBe(202)
  const { id } = (await res.json()) as { id: string }
  await eventually(async () =>
    expect(await p.sql`select 1 from event where id = ${id}`).toHaveLength(1)
  )
}

/** The kept board, and the same board read fresh (a filter naming every product is never kept). */
async function boards() {
  const kept = await p.api('GET', '/board')
  const ids = kept.body.products.map((x: { id: string }) => x.id).join(',')
  const fresh = await p.api('GET', `/board?product=${ids}`)
  expect(kept.headers.get('content-type')).toBe(fresh.headers.get('content-type'))
  return { whole: kept.body, fresh: fresh.body }
}

beforeAll(async () => {
  p = await startPipeline()
})
afterAll(() => p.stop())

describe('the kept board', () => {
  it('follows every change: a cell moving, a new cell, a new product', async () => {
    await deploy({ product_name: `${tag}-a`, version: '1', environment_name: 'dev' })
    await deploy({ product_name: `${tag}-a`, version: '1', environment_name: 'production' })
    const first = await boards()
    expect(first.whole).toEqual(first.fresh)
    expect(first.whole.products).toHaveLength(1)

    // same cells, newer deployment: only that cell is re-read
    await deploy({ product_name: `${tag}-a`, version: '2', environment_name: 'dev' })
    const moved = await boards()
    expect(moved.whole).toEqual(moved.fresh)
    expect(moved.whole.products[0].cells[0].current.version).not.toBe(
      moved.whole.products[0].cells[1].current.version
    )
    expect(moved.whole.products[0].drift).toBe(true)

    // a new cell, then a product that sorts first
    await deploy({ product_name: `${tag}-a`, version: '2', environment_name: 'staging' })
    await deploy({ product_name: `${tag}-0`, version: '9', environment_name: 'dev' })
    const grown = await boards()
    expect(grown.whole).toEqual(grown.fresh)
    expect(grown.whole.products.map((x: { name: string }) => x.name)).toEqual([
      `${tag}-0`,
      `${tag}-a`,
    ])
    expect(grown.whole.products[1].cells).toHaveLength(3)

    // the environments are read on every request: a new column order shows at once
    const production = grown.whole.environments.find(
      (e: { name: string }) => e.name === 'production'
    )
    expect(
      (await p.api('PATCH', `/environments/${production.id}`, { display_order: -1 })).status
    ).toBe(200)
    const reordered = await boards()
    expect(reordered.whole).toEqual(reordered.fresh)
    expect(reordered.whole.environments[0].name).toBe('production')
  })

  it('ends equal to a fresh read after reads racing writes', async () => {
    const writes = (async () => {
      for (let i = 0; i < 8; i++) {
        await deploy({ product_name: `${tag}-r${i % 3}`, version: `${i}`, environment_name: 'dev' })
      }
    })()
    const reads: Array<Promise<unknown>> = []
    for (let i = 0; i < 40; i++) {
      reads.push(p.api('GET', '/board').then((r) => expect(r.status).toBe(200)))
      await new Promise((r) => setTimeout(r, 10))
    }
    await Promise.all([writes, ...reads])
    const { whole, fresh } = await boards()
    expect(whole).toEqual(fresh)
    expect(whole.products.map((x: { name: string }) => x.name)).toContain(`${tag}-r2`)
  })
})
