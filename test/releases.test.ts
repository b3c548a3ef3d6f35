/**
 * Releases through the gateway, end to end: the gateway validates, the release service enforces
 * the seed's rules and recomputes progress, Postgres keeps it. Every rule and every error.
 */
import { SYSTEM_ACTOR, versionId } from '@shiplog/contracts'
import { eventually } from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline
let n = 0
/** A product name of this test file's own. */
const product = (name: string) => `${name}-${process.pid}-${++n}`

beforeAll(async () => {
  p = await startPipeline()
})
afterAll(() => p.stop())

const deploy = (fields: Record<string, unknown>) => p.deploy(fields)

async function createRelease(body: Record<string, unknown> = {}) {
  const res = await p.api('POST', '/releases', { name: `Release ${++n}`, ...body })
  expect(res.status).toBe(201)
  return res.body as { id: string; status: string; [k: string]: any }
}

describe('creating and reading', () => {
  it('creates a draft release with metadata and answers it with its progress', async () => {
    const metadata = { jira_epic: 'PROJ-123', stakeholders: ['product', 'qa'] }
    const r = await createRelease({
      name: 'Release 2024.10.1',
      description: 'Q4 Sprint 3',
      extra_metadata: metadata,
    })
    expect(r).toMatchObject({
      name: 'Release 2024.10.1',
      description: 'Q4 Sprint 3',
      status: 'draft',
      extra_metadata: metadata,
      created_by: 'admin-token',
      versions_count: 0,
      versions: [],
      progress: {
        environments: [],
        rows: [],
        production: { reached: 0, total: 0, fraction: 0, all: false },
      },
    })
    const again = await p.api('GET', `/releases/${r.id}`, undefined, 'reader')
    expect(again.status).toBe(200)
    expect(again.body).toEqual(r)
  })

  it('names every invalid field', async () => {
    const res = await p.api('POST', '/releases', {
      name: '',
      status: 'completed',
      extra_metadata: 'x',
      color: 'red',
    })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('validation_failed')
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(
      ['color', 'extra_metadata', 'name', 'status'].sort()
    )
  })

  it('answers 400 for malformed JSON and 404 for unknown ids', async () => {
    expect((await p.api('POST', '/releases', '{"name": ')).body.error.code).toBe('invalid_json')
    const unknown = await p.api('GET', '/releases/01a2007e-16e3-73d2-85c4-f207c5a1390d')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('not_found')
    expect((await p.api('GET', '/releases/not-a-uuid')).status).toBe(404)
    expect(
      (await p.api('PATCH', '/releases/01a2007e-16e3-73d2-85c4-f207c5a1390d', { name: 'x' })).status
    ).toBe(404)
  })

  it('lists newest first, filters by status and name, and pages with a cursor', async () => {
    const tag = `pager-${Date.now()}`
    const made = []
    for (let i = 0; i < 5; i++) {
      made.push(
        await createRelease({ name: `${tag} ${i}`, status: i % 2 ? 'in_progress' : 'draft' })
      )
    }
    const first = await p.api('GET', `/releases?q=${tag}&limit=2`)
    expect(first.body.items.map((r: { name: string }) => r.name)).toEqual([`${tag} 4`, `${tag} 3`])
    const second = await p.api('GET', `/releases?q=${tag}&limit=2&cursor=${first.body.next_cursor}`)
    expect(second.body.items.map((r: { name: string }) => r.name)).toEqual([`${tag} 2`, `${tag} 1`])
    const third = await p.api(
      'GET',
      `/releases?q=${tag.toUpperCase()}&limit=2&cursor=${second.body.next_cursor}`
    )
    expect(third.body).toMatchObject({ items: [{ name: `${tag} 0` }], next_cursor: null })
    const started = await p.api('GET', `/releases?q=${tag}&status=in_progress`)
    expect(started.body.items.map((r: { name: string }) => r.name)).toEqual([
      `${tag} 3`,
      `${tag} 1`,
    ])
    expect((await p.api('GET', '/releases?status=shipped')).status).toBe(422)
    expect((await p.api('GET', '/releases?cursor=garbage')).status).toBe(422)
  })
})

describe('versions', () => {
  it('adds by id or by name, holds one version per product, and names the one already there', async () => {
    const user = product('user-service')
    await deploy({ product_name: user, version: '1.2.3', environment_name: 'dev' })
    await deploy({ product_name: user, version: '1.2.4', environment_name: 'dev' })
    const r = await createRelease()
    const byId = await p.api(
      'POST',
      `/releases/${r.id}/versions`,
      { version_id: versionId(user, '1.2.3') },
      'writer'
    )
    expect(byId.status).toBe(201)
    expect(byId.body.versions).toMatchObject([
      { product_name: user, version: '1.2.3', added_by: 'writer-token' },
    ])

    const second = await p.api('POST', `/releases/${r.id}/versions`, {
      product_name: user,
      version: '1.2.4',
    })
    expect(second.status).toBe(409)
    expect(second.body.error.code).toBe('version_already_in_release')
    expect(second.body.error.message).toContain(`already has ${user} 1.2.3`)
    const same = await p.api('POST', `/releases/${r.id}/versions`, {
      product_name: user,
      version: '1.2.3',
    })
    expect(same.status).toBe(409)

    const other = await createRelease()
    expect(
      (
        await p.api('POST', `/releases/${other.id}/versions`, {
          product_name: user,
          version: '1.2.3',
        })
      ).status
    ).toBe(201)
  })

  it('refuses a version nobody reported, and bodies that name none', async () => {
    const r = await createRelease()
    const missing = await p.api('POST', `/releases/${r.id}/versions`, {
      product_name: 'nope',
      version: '0.0.1',
    })
    expect(missing.status).toBe(404)
    expect((await p.api('POST', `/releases/${r.id}/versions`, { version: '1' })).status).toBe(422)
    expect((await p.api('POST', `/releases/${r.id}/versions`, { version_id: 'abc' })).status).toBe(
      422
    )
  })

  it('removes versions, never modifies them, and lists them', async () => {
    const api = product('api')
    await deploy({ product_name: api, version: '3.0.1', scm_sha: 'abc123' })
    const before = await p.sql`select * from version where id = ${versionId(api, '3.0.1')}`
    const r = await createRelease()
    await p.api('POST', `/releases/${r.id}/versions`, { product_name: api, version: '3.0.1' })
    expect((await p.api('GET', `/releases/${r.id}/versions`)).body.items).toMatchObject([
      { version: '3.0.1', scm_sha: 'abc123' },
    ])
    const removed = await p.api('DELETE', `/releases/${r.id}/versions/${versionId(api, '3.0.1')}`)
    expect(removed.status).toBe(200)
    expect(removed.body.versions).toEqual([])
    expect(
      (await p.api('DELETE', `/releases/${r.id}/versions/${versionId(api, '3.0.1')}`)).status
    ).toBe(404)
    expect(await p.sql`select * from version where id = ${versionId(api, '3.0.1')}`).toEqual(before)
  })
})

describe('lifecycle', () => {
  it('goes draft → in_progress → completed, and completed is final', async () => {
    const r = await createRelease()
    const skip = await p.api('PATCH', `/releases/${r.id}`, { status: 'completed' })
    expect(skip.status).toBe(409)
    expect(skip.body.error.code).toBe('invalid_status_transition')
    expect((await p.api('PATCH', `/releases/${r.id}`, { status: 'in_progress' })).body.status).toBe(
      'in_progress'
    )
    expect((await p.api('PATCH', `/releases/${r.id}`, { status: 'completed' })).body.status).toBe(
      'completed'
    )
    for (const change of [
      () => p.api('PATCH', `/releases/${r.id}`, { name: 'renamed' }),
      () => p.api('PATCH', `/releases/${r.id}`, { status: 'cancelled' }),
      () => p.api('POST', `/releases/${r.id}/versions`, { version_id: versionId('x', '1') }),
      () => p.api('DELETE', `/releases/${r.id}/versions/${versionId('x', '1')}`),
    ]) {
      const res = await change()
      expect(res.status).toBe(409)
      expect(res.body.error.code).toBe('release_is_final')
    }
  })

  it('cancels from draft and from in_progress, and cancelled is final', async () => {
    const draft = await createRelease()
    expect(
      (await p.api('PATCH', `/releases/${draft.id}`, { status: 'cancelled' })).body.status
    ).toBe('cancelled')
    expect(
      (await p.api('PATCH', `/releases/${draft.id}`, { status: 'in_progress' })).body.error.code
    ).toBe('release_is_final')
    const running = await createRelease({ status: 'in_progress' })
    expect(
      (await p.api('PATCH', `/releases/${running.id}`, { status: 'cancelled' })).body.status
    ).toBe('cancelled')
    expect((await p.api('PATCH', `/releases/${running.id}`, { status: 'draft' })).status).toBe(409)
  })

  it('leaves draft by itself when a deployment of one of its versions starts, not when one is queued', async () => {
    const svc = product('auth-service')
    await deploy({ product_name: svc, version: '2.1.0', environment_name: 'dev', status: 'queued' })
    const r = await createRelease()
    await p.api('POST', `/releases/${r.id}/versions`, { product_name: svc, version: '2.1.0' })
    await deploy({
      product_name: svc,
      version: '2.1.0',
      environment_name: 'test',
      status: 'pending',
    })
    expect((await p.api('GET', `/releases/${r.id}`)).body.status).toBe('draft')
    await deploy({
      product_name: svc,
      version: '2.1.0',
      environment_name: 'test',
      status: 'in_progress',
    })
    const after = await p.api('GET', `/releases/${r.id}`)
    expect(after.body.status).toBe('in_progress')
    const history = (await p.api('GET', `/releases/${r.id}/history`)).body.items
    expect(history.at(-1)).toMatchObject({
      actor: SYSTEM_ACTOR,
      action: 'status_changed',
      changes: { from: 'draft', to: 'in_progress' },
    })
  })
})

describe('progress', () => {
  it('draws the matrix, counts per environment, and shows all in production before anyone completes it', async () => {
    const [user, pay, note] = [
      product('user-service'),
      product('payment-api'),
      product('notification-service'),
    ]
    const at = (m: number) => new Date(Date.UTC(2026, 2, 1, 10, m)).toISOString()
    for (const env of ['dev', 'test', 'staging', 'production']) {
      await deploy({
        product_name: note,
        version: '2.1.0',
        environment_name: env,
        completed_at: at(1),
      })
    }
    for (const env of ['dev', 'test', 'staging']) {
      await deploy({
        product_name: user,
        version: '1.2.3',
        environment_name: env,
        completed_at: at(2),
      })
    }
    await deploy({
      product_name: pay,
      version: '4.5.6',
      environment_name: 'dev',
      completed_at: at(3),
    })
    await deploy({
      product_name: pay,
      version: '4.5.6',
      environment_name: 'test',
      status: 'failed',
      completed_at: at(4),
    })

    const r = await createRelease()
    for (const [name, version] of [
      [user, '1.2.3'],
      [pay, '4.5.6'],
      [note, '2.1.0'],
    ]) {
      await p.api('POST', `/releases/${r.id}/versions`, { product_name: name, version })
    }
    // every product also runs in production already (older versions), so production is where they must reach
    for (const name of [user, pay]) {
      await deploy({
        product_name: name,
        version: '0.9.0',
        environment_name: 'production',
        completed_at: at(0),
      })
    }

    const view = async () => (await p.api('GET', `/releases/${r.id}`)).body
    let release = await view()
    const envNames = release.progress.environments.map((e: { name: string }) => e.name)
    expect(envNames).toEqual(['dev', 'test', 'staging', 'production'])
    const grid = () =>
      Object.fromEntries(
        release.progress.rows.map(
          (row: { product_name: string; cells: Array<{ state: string }> }) => [
            row.product_name,
            row.cells.map((c) => c.state),
          ]
        )
      )
    expect(grid()).toEqual({
      [user]: ['deployed', 'deployed', 'deployed', 'not_deployed'],
      [pay]: ['deployed', 'failed', 'not_deployed', 'not_deployed'],
      [note]: ['deployed', 'deployed', 'deployed', 'deployed'],
    })
    expect(release.progress.environments.map((e: { deployed: number }) => e.deployed)).toEqual([
      3, 2, 2, 1,
    ])
    expect(release.production).toEqual({ reached: 1, total: 3, fraction: 1 / 3, all: false })
    expect(
      release.progress.rows.find((row: { product_name: string }) => row.product_name === user)
        .cells[0]
    ).toMatchObject({
      status: 'completed',
      deployed_by: null,
      at: at(2),
    })

    await deploy({
      product_name: pay,
      version: '4.5.6',
      environment_name: 'staging',
      status: 'started',
    })
    release = await view()
    expect(grid()[pay]).toEqual(['deployed', 'failed', 'in_progress', 'not_deployed'])

    for (const name of [user, pay]) {
      await deploy({
        product_name: name,
        version: name === user ? '1.2.3' : '4.5.6',
        environment_name: 'production',
        completed_at: at(30),
      })
    }
    release = await view()
    expect(release.production).toEqual({ reached: 3, total: 3, fraction: 1, all: true })
    expect(release.status).toBe('in_progress')

    const list = await p.api('GET', `/releases?q=${encodeURIComponent(release.name)}`)
    expect(list.body.items[0]).toMatchObject({ versions_count: 3, production: { all: true } })
    const deployments = (await p.api('GET', `/releases/${r.id}/deployments`)).body.items
    expect(deployments).toHaveLength(12)
    const times = deployments.map((d: { deployed_at: string }) => d.deployed_at)
    expect(times).toEqual([...times].sort().reverse())
  })

  it('follows a change of environment type', async () => {
    const svc = product('edge')
    const env = `edge-${n}`
    await deploy({ product_name: svc, version: '1.0.0', environment_name: env })
    const r = await createRelease()
    await p.api('POST', `/releases/${r.id}/versions`, { product_name: svc, version: '1.0.0' })
    expect((await p.api('GET', `/releases/${r.id}`)).body.production.reached).toBe(0)
    const envId = (await p.api('GET', '/environments')).body.items.find(
      (e: { name: string }) => e.name === env
    ).id
    const changed = await p.api('PATCH', `/environments/${env}`, { type: 'production' }, 'writer')
    expect(changed.body).toMatchObject({ id: envId, type: 'production' })
    expect((await p.api('GET', `/releases/${r.id}`)).body.production).toMatchObject({
      reached: 1,
      all: true,
    })
    expect((await p.api('PATCH', `/environments/${env}`, { type: 'prod' })).status).toBe(422)
  })
})

describe('history', () => {
  it('records every change with who and when', async () => {
    const svc = product('history-svc')
    await deploy({ product_name: svc, version: '1.0.0', environment_name: 'dev', status: 'queued' })
    const r = await createRelease({ name: 'Audited' })
    await p.api(
      'PATCH',
      `/releases/${r.id}`,
      { description: 'why', extra_metadata: { a: 1 } },
      'writer'
    )
    await p.api(
      'POST',
      `/releases/${r.id}/versions`,
      { product_name: svc, version: '1.0.0' },
      'writer'
    )
    await p.api(
      'DELETE',
      `/releases/${r.id}/versions/${versionId(svc, '1.0.0')}`,
      undefined,
      'writer'
    )
    await p.api('PATCH', `/releases/${r.id}`, { status: 'cancelled' })
    const { items } = (await p.api('GET', `/releases/${r.id}/history`, undefined, 'reader')).body
    expect(items.map((h: { actor: string; action: string }) => [h.actor, h.action])).toEqual([
      ['admin-token', 'created'],
      ['writer-token', 'edited'],
      ['writer-token', 'version_added'],
      ['writer-token', 'version_removed'],
      ['admin-token', 'status_changed'],
    ])
    expect(items[1].changes).toEqual({
      description: { from: null, to: 'why' },
      extra_metadata: { from: {}, to: { a: 1 } },
    })
    expect(items[2].changes).toMatchObject({ product_name: svc, version: '1.0.0' })
    expect(items[4].changes).toEqual({ from: 'draft', to: 'cancelled' })
    expect(new Date(items[0].at).getTime()).toBeGreaterThan(Date.now() - 60_000)
  })
})

describe('authorization', () => {
  it('wants read for GET, write for changes, admin for tokens', async () => {
    expect((await p.api('GET', '/releases', undefined, null)).status).toBe(401)
    expect((await p.api('GET', '/releases', undefined, 'ingest')).status).toBe(403)
    expect((await p.api('GET', '/releases', undefined, 'reader')).status).toBe(200)
    expect((await p.api('POST', '/releases', { name: 'x' }, 'reader')).status).toBe(403)
    expect((await p.api('GET', '/tokens', undefined, 'writer')).status).toBe(403)
    const forbidden = await p.api('POST', '/releases', { name: 'x' }, 'reader')
    expect(forbidden.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('"write"'),
    })
  })
})

describe('updates', () => {
  it('publishes a note with the release id and its new revision after each change', async () => {
    const notes: Array<{ releases: Array<{ id: string; rev: number }> }> = []
    const sub = p.nats.nc.subscribe(p.names.updateSubject, {
      callback: (_e, m) => {
        notes.push(m.json())
      },
    })
    const r = await createRelease()
    await p.api('PATCH', `/releases/${r.id}`, { name: 'noted' })
    await eventually(() =>
      expect(notes.filter((x) => x.releases.some((rel) => rel.id === r.id))).toHaveLength(2)
    )
    const revs = notes.flatMap((x) =>
      x.releases.filter((rel) => rel.id === r.id).map((rel) => rel.rev)
    )
    expect(revs[1]).toBeGreaterThan(revs[0]!)
    expect((await p.api('GET', `/releases/${r.id}`)).body.rev).toBe(revs[1])
    sub.unsubscribe()
  })
})
