/**
 * Bad and hostile requests, each with the answers ingest may give it. None may publish anything,
 * crash anything or get a 5xx. (Names with SQL and HTML in them are not here: they are valid,
 * and go through the ledger like any event, to be found stored verbatim.)
 */
import type { Answer, IngestClient } from './ingest-client.ts'

export interface Tokens {
  good: string
  revoked: string
  /** A token without the `ingest` scope. */
  reader: string
}

export interface HostileRequest {
  name: string
  expect: readonly number[]
  send(client: IngestClient, tokens: Tokens): Promise<Answer>
}

const valid = {
  product_name: 'hostile-target',
  version: '1.0.0',
  environment_name: 'production',
  status: 'success',
}
const json = { 'content-type': 'application/json' }
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const post =
  (path: string, body: string | Buffer | Iterable<Buffer>, headers: Record<string, string>) =>
  (client: IngestClient) =>
    client.raw(path, { headers, body })

function* chunks(total: number, size = 16 * 1024): Iterable<Buffer> {
  // a JSON string that never ends until the body passes the limit: no Content-Length to trust
  yield Buffer.from('{"product_name":"')
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(size, 'x')
  yield Buffer.from('"}')
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

const everyField = (length: number) =>
  Object.fromEntries(
    [
      'product_name',
      'version',
      'environment_name',
      'deployed_by',
      'deployed_by_email',
      'deployed_by_name',
      'scm_sha',
      'scm_repository',
      'scm_branch',
      'source_system',
    ].map((k) => [k, 'y'.repeat(length)])
  )

export const HOSTILE: readonly HostileRequest[] = [
  {
    name: 'oversize single body (300 KB)',
    expect: [413],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...valid, extra_metadata: { blob: 'x'.repeat(300 * 1024) } }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'oversize batch body (17 MB)',
    expect: [413],
    send: (c, t) =>
      post(
        '/v1/deployment-events/batch',
        JSON.stringify({
          events: [{ ...valid, extra_metadata: { blob: 'x'.repeat(17 * 1024 * 1024) } }],
        }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'oversize chunked body, no Content-Length (400 KB)',
    expect: [413],
    send: (c, t) =>
      post('/v1/deployment-events', chunks(400 * 1024), { ...json, ...bearer(t.good) })(c),
  },
  {
    name: 'malformed JSON',
    expect: [400],
    send: (c, t) =>
      post('/v1/deployment-events', '{"product_name": "x", ', { ...json, ...bearer(t.good) })(c),
  },
  {
    name: 'empty body',
    expect: [400],
    send: (c, t) => post('/v1/deployment-events', '', { ...json, ...bearer(t.good) })(c),
  },
  {
    name: 'JSON that is not an object',
    expect: [422],
    send: (c, t) => post('/v1/deployment-events', 'null', { ...json, ...bearer(t.good) })(c),
  },
  {
    name: 'deep nesting (100,000 arrays)',
    expect: [400, 422],
    send: (c, t) =>
      post('/v1/deployment-events', nested(100_000), { ...json, ...bearer(t.good) })(c),
  },
  {
    name: 'deep nesting in extra_metadata (5,000 levels)',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        `{"product_name":"a","version":"1","environment_name":"p","status":"success","extra_metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
        { ...json, ...bearer(t.good) }
      )(c),
  },
  {
    name: 'huge strings in every field (20 KB each)',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...everyField(20_000), status: 'x'.repeat(20_000) }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'huge strings in every field of a batch',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events/batch',
        JSON.stringify(
          Array.from({ length: 50 }, () => ({ ...everyField(5000), status: 'success' }))
        ),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'a lone UTF-16 surrogate in a name (Postgres cannot store it)',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...valid, product_name: 'broken-\ud800-name' }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'a lone surrogate in extra_metadata',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...valid, extra_metadata: { note: 'x\udc00y' } }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'a timestamp in year 0 (Postgres cannot store it)',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...valid, started_at: '0000-06-01T00:00:00Z', status: 'started' }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'a timestamp past year 9999 once made UTC',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events',
        JSON.stringify({ ...valid, completed_at: '9999-12-31T23:30:00-01:00' }),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'NUL in a name',
    expect: [422],
    send: (c, t) =>
      post('/v1/deployment-events', JSON.stringify({ ...valid, deployed_by: 'a\u0000b' }), {
        ...json,
        ...bearer(t.good),
      })(c),
  },
  {
    name: 'another content type',
    expect: [415],
    send: (c, t) =>
      post('/v1/deployment-events', JSON.stringify(valid), {
        'content-type': 'text/plain',
        ...bearer(t.good),
      })(c),
  },
  {
    name: 'no token',
    expect: [401],
    send: (c) => post('/v1/deployment-events', JSON.stringify(valid), json)(c),
  },
  {
    name: 'unknown token',
    expect: [401],
    send: (c) =>
      post('/v1/deployment-events', JSON.stringify(valid), {
        ...json,
        ...bearer('shp_notarealtokennotarealtoken'),
      })(c),
  },
  {
    name: 'malformed Authorization header',
    expect: [401],
    send: (c) =>
      post('/v1/deployment-events', JSON.stringify(valid), {
        ...json,
        authorization: 'Basic dXNlcjpwYXNz',
      })(c),
  },
  {
    name: 'revoked token',
    expect: [401],
    send: (c, t) =>
      post('/v1/deployment-events', JSON.stringify(valid), { ...json, ...bearer(t.revoked) })(c),
  },
  {
    name: 'token without the ingest scope',
    expect: [403],
    send: (c, t) =>
      post('/v1/deployment-events', JSON.stringify(valid), { ...json, ...bearer(t.reader) })(c),
  },
  {
    name: 'revoked token on the batch endpoint',
    expect: [401],
    send: (c, t) =>
      post('/v1/deployment-events/batch', JSON.stringify([valid]), {
        ...json,
        ...bearer(t.revoked),
      })(c),
  },
  {
    name: 'batch of 1,001 events',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events/batch',
        JSON.stringify(Array.from({ length: 1001 }, () => valid)),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
  {
    name: 'batch of nothing but invalid events',
    expect: [422],
    send: (c, t) =>
      post(
        '/v1/deployment-events/batch',
        JSON.stringify([{ product_name: '' }, { status: 'nope' }]),
        {
          ...json,
          ...bearer(t.good),
        }
      )(c),
  },
]
