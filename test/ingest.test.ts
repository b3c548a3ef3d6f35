/**
 * Ingest against a real NATS JetStream: what it accepts, what it refuses, and that a refused
 * request publishes nothing. No release service runs here, so the stream keeps every message
 * ingest published and its last sequence counts them.
 */
import { STATUS_ALIASES, normalizeStatus, productId, versionId } from '@shiplog/contracts'
import { TcpProxy, hostPort } from '@shiplog/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'

import { deployment, startPipeline, type Pipeline } from './harness.ts'

let p: Pipeline

beforeAll(async () => {
  p = await startPipeline({ startReleases: false })
})
afterAll(() => p.stop())

async function lastPublished(stream = p) {
  const info = await stream.nats.jsm.streams.info(stream.names.eventStream)
  return info.state.last_seq
}

async function published(seq: number) {
  const m = await p.nats.jsm.streams.getMessage(p.names.eventStream, { seq })
  return m!.json<Record<string, unknown>>()
}

/** Runs a request and proves it published nothing. */
async function refused(request: () => Promise<Response>) {
  const before = await lastPublished()
  const res = await request()
  expect(await lastPublished()).toBe(before)
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, any>,
  }
}

describe('accepting events', () => {
  it('answers 202 with the ids after JetStream stored the event', async () => {
    const e = deployment({ version: '2.0.0', scm_sha: 'ABC123' })
    const res = await p.post('/v1/deployment-events', e)
    expect(res.status).toBe(202)
    const body = (await res.json()) as Record<string, any>
    expect(body).toMatchObject({
      result: 'accepted',
      product_id: productId(e.product_name),
      version_id: versionId(e.product_name, '2.0.0'),
      status: 'completed',
    })
    const stored = await published(body.stream_seq)
    expect(stored).toMatchObject({
      kind: 'deployment',
      id: body.id,
      scm_sha: 'abc123',
      reporter: 'ci',
    })
  })

  it.each(STATUS_ALIASES)('normalizes the status alias "%s"', async (alias) => {
    const res = await p.post('/v1/deployment-events', deployment({ status: alias }))
    expect(res.status).toBe(202)
    const { stream_seq } = (await res.json()) as { stream_seq: number }
    expect((await published(stream_seq)).status).toBe(normalizeStatus(alias))
  })

  it('accepts build events without an environment', async () => {
    const res = await p.post('/v1/build-events', {
      product_name: 'lib',
      version: '0.1.0',
      status: 'building',
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ kind: 'build', status: 'started' })
  })

  it('answers a re-post of the same event_id with 200 and the original id, publishing once', async () => {
    const e = deployment({ event_id: 'deploy-42-attempt-1' })
    const first = await p.post('/v1/deployment-events', e)
    expect(first.status).toBe(202)
    const before = await lastPublished()
    const again = await p.post('/v1/deployment-events', e)
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ id: 'deploy-42-attempt-1', result: 'duplicate' })
    expect(await lastPublished()).toBe(before)
  })

  it('treats the Idempotency-Key header as the event id', async () => {
    const e = deployment()
    const key = { 'idempotency-key': `key-${Date.now()}` }
    expect((await p.post('/v1/deployment-events', e, key)).status).toBe(202)
    const again = await p.post('/v1/deployment-events', e, key)
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ id: key['idempotency-key'] })
  })

  it("identifies a CI run's report by its content, so the CLI's retries are one event", async () => {
    const e = deployment({ invoke_id: 'run-9001' })
    const first = (await (await p.post('/deployment-events/', e)).json()) as { event_id: string }
    const retry = await p.post('/deployment-events/', e)
    expect(retry.status).toBe(200)
    expect(await retry.json()).toMatchObject({ event_id: first.event_id, duplicate: true })
  })
})

describe("Versioner's paths", () => {
  it('POST /deployment-events/ answers with the fields its CLI and Action read', async () => {
    const e = deployment({ environment_name: 'staging', status: 'success' })
    const res = await p.post('/deployment-events/', e)
    expect(res.status).toBe(202)
    const body = (await res.json()) as Record<string, any>
    expect(body).toMatchObject({
      product_id: productId(e.product_name),
      version_id: versionId(e.product_name, e.version),
      environment_name: 'staging',
      status: 'completed',
    })
    expect(body.id).toBe(body.deployment_id)
    expect(body.environment_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.event_id).toBeTruthy()
  })

  it('POST /build-events/ answers with id, version_id and product_id', async () => {
    const res = await p.post('/build-events/', {
      product_name: 'cli',
      version: '1.0.9',
      status: 'completed',
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({
      version_id: versionId('cli', '1.0.9'),
      product_id: productId('cli'),
    })
  })

  it('answers 422 in the FastAPI shape its clients print', async () => {
    const { status, body } = await refused(() =>
      p.post('/deployment-events/', { product_name: 'x' })
    )
    expect(status).toBe(422)
    expect(body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'version'], msg: 'is required' }),
      ])
    )
    expect(body.error.code).toBe('validation_failed')
  })
})

describe('refusing bad input, publishing nothing', () => {
  it('400 for malformed JSON', async () => {
    const r = await refused(() => p.post('/v1/deployment-events', '{"product_name": '))
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('invalid_json')
  })

  it('422 naming every offending field', async () => {
    const r = await refused(() =>
      p.post('/v1/deployment-events', {
        product_name: '',
        status: 'shipped',
        extra_metadata: 'x',
        colour: 1,
      })
    )
    expect(r.status).toBe(422)
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(
      ['colour', 'environment_name', 'extra_metadata', 'product_name', 'status', 'version'].sort()
    )
  })

  it('413 for a body over the limit, with or without Content-Length', async () => {
    const big = JSON.stringify(deployment({ extra_metadata: { blob: 'x'.repeat(300 * 1024) } }))
    const sized = await refused(() => p.post('/v1/deployment-events', big))
    expect(sized.status).toBe(413)
    // read to its end before answering, so the connection can carry the client's next request
    expect(sized.headers.get('connection')).toBeNull()
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) {
          controller.enqueue(new TextEncoder().encode('x'.repeat(10_000)))
        }
        controller.close()
      },
    })
    const r = await refused(() => p.post('/v1/deployment-events', chunked))
    expect(r.status).toBe(413)
    expect(r.headers.get('connection')).toBeNull()
  })

  it('413 and a closed connection for a body far over the limit, without reading it all', async () => {
    let sent = 0
    const endless = new ReadableStream({
      pull(controller) {
        sent += 64 * 1024
        controller.enqueue(new Uint8Array(64 * 1024))
      },
    })
    const r = await refused(() => p.post('/v1/deployment-events', endless))
    expect(r.status).toBe(413)
    expect(r.headers.get('connection')).toBe('close')
    // read up to 4× the 256 KiB limit, then given up on
    expect(sent).toBeLessThan(2 * 1024 * 1024)
  })

  it('422 for extra_metadata over 100 KB', async () => {
    const r = await refused(() =>
      p.post(
        '/v1/deployment-events',
        deployment({ extra_metadata: { blob: 'x'.repeat(101 * 1024) } })
      )
    )
    expect(r.status).toBe(422)
    expect(r.body.error.details).toEqual([
      { field: 'extra_metadata', message: 'must be at most 100 KB' },
    ])
  })

  it('415 for another content type', async () => {
    const r = await refused(() =>
      p.post('/v1/deployment-events', JSON.stringify(deployment()), {
        'content-type': 'text/plain',
      })
    )
    expect(r.status).toBe(415)
    expect(r.body.error.code).toBe('unsupported_media_type')
  })

  it('401 for a missing, unknown or revoked token', async () => {
    const noToken = await refused(() =>
      p.post('/v1/deployment-events', deployment(), { authorization: '' })
    )
    expect(noToken.status).toBe(401)
    expect(noToken.headers.get('www-authenticate')).toContain('Bearer')
    const unknown = await refused(() =>
      p.post('/v1/deployment-events', deployment(), {
        authorization: 'Bearer shp_not-a-real-token-at-all',
      })
    )
    expect(unknown.status).toBe(401)
    const { secret, record } = await p.tokens.create({
      name: 'old',
      scopes: ['ingest'],
      createdBy: null,
    })
    await p.tokens.revoke(record.id)
    const revoked = await refused(() =>
      p.post('/v1/deployment-events', deployment(), { authorization: `Bearer ${secret}` })
    )
    expect(revoked.status).toBe(401)
    expect(revoked.body.error.message).toMatch(/revoked/)
  })

  it('403 for a token without the ingest scope', async () => {
    const { secret } = await p.tokens.create({
      name: 'reader',
      scopes: ['read', 'write'],
      createdBy: null,
    })
    const r = await refused(() =>
      p.post('/v1/deployment-events', deployment(), { authorization: `Bearer ${secret}` })
    )
    expect(r.status).toBe(403)
    expect(r.body.error.message).toContain('"ingest"')
  })

  it('409 for a version reported with another SHA than it was built from', async () => {
    const build = { product_name: 'web', version: '3.1.0', status: 'completed', scm_sha: 'aaa111' }
    expect((await p.post('/build-events/', build)).status).toBe(202)
    const conflict = await refused(() => p.post('/build-events/', { ...build, scm_sha: 'bbb222' }))
    expect(conflict.status).toBe(409)
    expect(conflict.body.detail).toMatch(/already exists with different SHA/)
    const viaDeploy = await refused(() =>
      p.post(
        '/v1/deployment-events',
        deployment({ product_name: 'web', version: '3.1.0', scm_sha: 'bbb222' })
      )
    )
    expect(viaDeploy.body.error.code).toBe('version_sha_conflict')
    // the same SHA, in any case, is fine
    expect((await p.post('/build-events/', { ...build, scm_sha: 'AAA111' })).status).toBe(202)
  })

  it('refuses deeply nested and huge input without crashing', async () => {
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)
    expect([400, 413, 422]).toContain(
      (await refused(() => p.post('/v1/deployment-events', deep))).status
    )
    let nested: Record<string, unknown> = {}
    for (let i = 0; i < 1000; i++) nested = { n: nested }
    const r = await refused(() =>
      p.post('/v1/deployment-events', deployment({ extra_metadata: nested }))
    )
    expect(r.status).toBe(422)
    const huge = Object.fromEntries(
      ['product_name', 'version', 'environment_name', 'deployed_by'].map((k) => [
        k,
        'y'.repeat(50_000),
      ])
    )
    expect(
      (await refused(() => p.post('/v1/deployment-events', { ...huge, status: 'success' }))).status
    ).toBe(422)
  })
})

describe('batches', () => {
  it('answers one result per event and publishes only the valid ones', async () => {
    const events = [
      deployment(),
      deployment({ status: 'nope' }),
      deployment(),
      deployment({ version: '' }),
    ]
    const before = await lastPublished()
    const res = await p.post('/v1/deployment-events/batch', { events })
    expect(res.status).toBe(207)
    const body = (await res.json()) as {
      accepted: number
      rejected: number
      results: Array<Record<string, any>>
    }
    expect(body.accepted).toBe(2)
    expect(body.rejected).toBe(2)
    expect(body.results.map((r) => r.http_status)).toEqual([202, 422, 202, 422])
    expect(body.results[1]!.error.details[0].field).toBe('events.1.status')
    expect(await lastPublished()).toBe(before + 2)
  })

  it('accepts 1,000 events and refuses 1,001', async () => {
    const ok = await p.post(
      '/v1/deployment-events/batch',
      Array.from({ length: 1000 }, () => deployment())
    )
    expect(ok.status).toBe(202)
    expect(((await ok.json()) as { accepted: number }).accepted).toBe(1000)
    const tooMany = await refused(() =>
      p.post(
        '/v1/deployment-events/batch',
        Array.from({ length: 1001 }, () => deployment())
      )
    )
    expect(tooMany.status).toBe(422)
  })
})

describe('bootstrap token', () => {
  it('is ensured once with every scope, and a revoked one stays revoked', async () => {
    const secret = `shp_bootstrap_${Date.now()}_abcdefgh`
    await p.tokens.ensureBootstrap(secret)
    await p.tokens.ensureBootstrap(secret)
    const mine = p.tokens.list().filter((t) => t.name === 'bootstrap')
    expect(mine).toHaveLength(1)
    expect(mine[0]!.scopes.sort()).toEqual(['admin', 'ingest', 'read', 'write'])
    expect(mine[0]!.hash).not.toContain(secret)
    expect(
      (await p.post('/v1/deployment-events', deployment(), { authorization: `Bearer ${secret}` }))
        .status
    ).toBe(202)
    await p.tokens.revoke(mine[0]!.id)
    await p.tokens.ensureBootstrap(secret)
    expect((await p.tokens.authenticate(`Bearer ${secret}`)).ok).toBe(false)
  })
})

describe('NATS unreachable', () => {
  it('answers 503 with Retry-After at once, and recovers by itself', async () => {
    const proxy = await TcpProxy.start(hostPort(inject('natsUrl')))
    const q = await startPipeline({
      startReleases: false,
      ingestNatsUrl: proxy.rewrite(inject('natsUrl')),
    })
    try {
      expect((await q.post('/v1/deployment-events', deployment())).status).toBe(202)
      proxy.down()
      await new Promise((r) => setTimeout(r, 200))
      const started = Date.now()
      const res = await q.post('/v1/deployment-events', deployment())
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(Date.now() - started).toBeLessThan(1000)
      proxy.up()
      await expect
        .poll(async () => (await q.post('/v1/deployment-events', deployment())).status, {
          timeout: 15_000,
          interval: 250,
        })
        .toBe(202)
    } finally {
      await q.stop()
      await proxy.close()
    }
  })
})
