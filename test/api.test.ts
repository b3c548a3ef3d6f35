/**
 * The gateway's API besides releases: the OpenAPI document, the board, catalog reads, tokens.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import { environmentId, productId, versionId } from '@shiplog/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline
const tag = `api${process.pid}`
const shop = `${tag}-shop`
const cart = `${tag}-cart`
const at = (h: number, m = 0) => new Date(Date.UTC(2026, 4, 1, h, m)).toISOString()

const deploy = (fields: Record<string, unknown>) => p.deploy(fields)

beforeAll(async () => {
  p = await startPipeline()
  // shop: 1.0 everywhere, then 1.1 to staging, then a failed 1.2 in production
  for (const env of ['dev', 'staging', 'production']) {
    await deploy({
      product_name: shop,
      version: '1.0.0',
      environment_name: env,
      completed_at: at(1),
    })
  }
  await deploy({
    product_name: shop,
    version: '1.1.0',
    environment_name: 'staging',
    completed_at: at(2),
    deployed_by: 'ana',
  })
  await deploy({
    product_name: shop,
    version: '1.2.0',
    environment_name: 'production',
    status: 'failed',
    completed_at: at(3),
  })
  // cart: the same version everywhere (no drift)
  for (const env of ['dev', 'production']) {
    await deploy({
      product_name: cart,
      version: '7.0.0',
      environment_name: env,
      completed_at: at(4),
    })
  }
})
afterAll(() => p.stop())

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await p.gateway.request('/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string }
    expect(doc.openapi).toBe('3.1.0')
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy()
  })

  it('describes exactly the routes the gateway serves', async () => {
    const doc = (await (await p.gateway.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, object>
    }
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort()
    const served = [
      ...new Set(
        p.gateway.routes
          .filter(
            (r) =>
              r.path.startsWith('/api/v1/') &&
              r.method !== 'ALL' &&
              !r.path.endsWith('openapi.json')
          )
          .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
      ),
    ].sort()
    expect(documented).toEqual(served)
    expect(documented).toContain('PATCH /api/v1/releases/{id}')
  })

  it('is rendered for people at /api/docs', async () => {
    const res = await p.gateway.request('/api/docs')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('/api/v1/openapi.json')
  })
})

describe('info', () => {
  it('tells anyone the version and whether anonymous reads are allowed', async () => {
    const info = await p.api('GET', '/info', undefined, null)
    expect(info.status).toBe(200)
    expect(info.body).toEqual({ version: expect.any(String), public_read: false, ingest_url: null })
  })
})

describe('the board', () => {
  it('shows the current deployment, the last good one under a failed one, and drift', async () => {
    const board = (await p.api('GET', `/board?product=${shop},${cart}`, undefined, 'reader')).body
    expect(board.environments.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['dev', 'staging', 'production'])
    )
    const names = board.environments.map((e: { name: string }) => e.name)
    expect(names.indexOf('dev')).toBeLessThan(names.indexOf('staging'))
    expect(names.indexOf('staging')).toBeLessThan(names.indexOf('production'))
    const byName = Object.fromEntries(board.products.map((x: { name: string }) => [x.name, x]))
    const cell = (prod: string, env: string) =>
      byName[prod].cells.find(
        (c: { environment_id: string }) => c.environment_id === environmentId(env)
      )
    expect(cell(shop, 'production')).toMatchObject({
      current: { version: '1.2.0', status: 'failed', deployed_at: at(3) },
      last_success: { version: '1.0.0', status: 'completed' },
    })
    expect(cell(shop, 'staging')).toMatchObject({
      current: { version: '1.1.0', deployed_by: 'ana' },
      last_success: { version: '1.1.0' },
    })
    expect(byName[shop].drift).toBe(true)
    expect(byName[cart].drift).toBe(false)
  })

  it('filters by environment name or id', async () => {
    const board = (await p.api('GET', `/board?product=${productId(shop)}&environment=production`))
      .body
    expect(board.environments.map((e: { name: string }) => e.name)).toEqual(['production'])
    expect(board.products).toHaveLength(1)
    expect(board.products[0].cells).toHaveLength(1)
  })
})

describe('catalog', () => {
  it('lists products and reads one by name or id', async () => {
    const list = (await p.api('GET', `/products?q=${tag}`)).body
    expect(list.items.map((x: { name: string }) => x.name)).toEqual([cart, shop])
    expect(list.items[1]).toMatchObject({ versions_count: 3, last_deployed_at: at(3) })
    const one = (await p.api('GET', `/products/${shop}`)).body
    expect(one.id).toBe(productId(shop))
    expect(one.cells).toHaveLength(3)
    expect((await p.api('GET', `/products/${productId(shop)}`)).body.name).toBe(shop)
    expect((await p.api('GET', '/products/nothing-here')).status).toBe(404)
  })

  it('lists environments in board order with their types', async () => {
    const envs = (await p.api('GET', '/environments')).body.items
    const mine = envs.filter((e: { name: string }) =>
      ['dev', 'staging', 'production'].includes(e.name)
    )
    expect(mine.map((e: { name: string; type: string }) => [e.name, e.type])).toEqual([
      ['dev', 'dev'],
      ['staging', 'staging'],
      ['production', 'production'],
    ])
  })

  it('lists versions of a product newest first and reads one with its deployments and releases', async () => {
    const versions = (await p.api('GET', `/versions?product=${shop}`)).body.items
    expect(versions.map((v: { version: string }) => v.version)).toEqual(['1.2.0', '1.1.0', '1.0.0'])
    const v = (await p.api('GET', `/versions/${versionId(shop, '1.0.0')}`)).body
    expect(
      v.deployments.map((d: { environment_name: string }) => d.environment_name).sort()
    ).toEqual(['dev', 'production', 'staging'])
    expect(v.releases).toEqual([])
    expect((await p.api('GET', '/versions/nope')).status).toBe(404)
  })

  it('lists deployments newest first, filtered by names, status and time, in pages', async () => {
    const all = (await p.api('GET', `/deployments?product=${shop}&limit=2`)).body
    expect(
      all.items.map(
        (d: { version: string; environment_name: string }) => `${d.version}@${d.environment_name}`
      )
    ).toEqual(['1.2.0@production', '1.1.0@staging'])
    const next = (
      await p.api('GET', `/deployments?product=${shop}&limit=2&cursor=${all.next_cursor}`)
    ).body
    expect(next.items).toHaveLength(2)
    const last = (
      await p.api('GET', `/deployments?product=${shop}&limit=2&cursor=${next.next_cursor}`)
    ).body
    expect(last).toMatchObject({ items: [expect.anything()], next_cursor: null })
    const failed = (await p.api('GET', `/deployments?product=${shop}&status=failed`)).body.items
    expect(failed.map((d: { version: string }) => d.version)).toEqual(['1.2.0'])
    const prod = (
      await p.api('GET', `/deployments?product=${shop}&environment=${environmentId('production')}`)
    ).body.items
    expect(prod.map((d: { version: string }) => d.version)).toEqual(['1.2.0', '1.0.0'])
    const since = (
      await p.api('GET', `/deployments?product=${shop}&since=${encodeURIComponent(at(2))}`)
    ).body.items
    expect(since).toHaveLength(2)
    const bad = await p.api('GET', '/deployments?limit=0&status=nope&since=yesterday')
    expect(bad.status).toBe(422)
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'limit',
      'since',
      'status',
    ])
  })
})

describe('tokens', () => {
  it('shows a secret once, lists without secrets, and revokes at once', async () => {
    const created = await p.api('POST', '/tokens', {
      name: 'deploy-bot',
      scopes: ['ingest', 'read'],
    })
    expect(created.status).toBe(201)
    const { token, id } = created.body
    expect(token).toMatch(/^shp_/)
    const list = (await p.api('GET', '/tokens')).body.items
    const mine = list.find((t: { id: string }) => t.id === id)
    expect(mine).toMatchObject({
      name: 'deploy-bot',
      scopes: ['ingest', 'read'],
      created_by: 'admin-token',
      revoked_at: null,
    })
    expect(JSON.stringify(list)).not.toContain(token)
    expect(mine).not.toHaveProperty('hash')

    const read = await p.gateway.request('/api/v1/releases', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(read.status).toBe(200)
    const revoked = await p.api('DELETE', `/tokens/${id}`)
    expect(revoked.body.revoked_at).toBeTruthy()
    const after = await p.gateway.request('/api/v1/releases', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(after.status).toBe(401)
    expect(
      (
        await p.post(
          '/v1/deployment-events',
          { product_name: 'x', version: '1', environment_name: 'dev', status: 'success' },
          { authorization: `Bearer ${token}` }
        )
      ).status
    ).toBe(401)
    expect((await p.api('DELETE', '/tokens/unknown')).status).toBe(404)
    expect((await p.api('POST', '/tokens', { name: 'x', scopes: ['root'] })).status).toBe(422)
  })
})

describe('anonymous read access', () => {
  it('lets wall screens read without a token when the operator allows it, and nothing more', async () => {
    const q = await startPipeline({ publicRead: true, startReleases: false })
    try {
      expect((await q.api('GET', '/board', undefined, null)).status).toBe(200)
      expect((await q.api('POST', '/releases', { name: 'x' }, null)).status).toBe(401)
      expect((await q.api('GET', '/tokens', undefined, null)).status).toBe(401)
      const bad = await q.gateway.request('/api/v1/board', {
        headers: { authorization: 'Bearer shp_wrong_wrong_wrong' },
      })
      expect(bad.status).toBe(401)
    } finally {
      await q.stop()
    }
  })
})
