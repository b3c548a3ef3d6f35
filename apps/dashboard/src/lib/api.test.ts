/** The API client: the token on every call, and every failure as an ApiError in words. */
import { describe, expect, it, vi } from 'vitest'

import { ApiError, createApi, isTransient } from './api.ts'

const respond = (status: number, body: unknown) =>
  vi.fn(async () =>
    Promise.resolve(
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })
    )
  )

describe('api client', () => {
  it('sends the current token and JSON, and answers the parsed body', async () => {
    const fetch = respond(200, { items: [] })
    let token: string | null = null
    const api = createApi({ token: () => token, fetch })
    await api.get('/board')
    token = 'shp_x'
    await api.send('POST', '/releases', { name: 'r' })
    const calls = fetch.mock.calls as unknown as Array<[string, RequestInit]>
    expect(calls[0]![0]).toBe('/api/v1/board')
    expect(calls[0]![1].headers).not.toHaveProperty('authorization')
    expect(calls[1]![1]).toMatchObject({
      method: 'POST',
      body: '{"name":"r"}',
      headers: { authorization: 'Bearer shp_x', 'content-type': 'application/json' },
    })
  })

  it("turns the API's error shape into an ApiError with its code, message and fields", async () => {
    const api = createApi({
      token: () => null,
      fetch: respond(422, {
        error: {
          code: 'validation_failed',
          message: 'invalid json: name: must not be empty',
          details: [{ field: 'name', message: 'must not be empty' }],
        },
      }),
    })
    const error = (await api.send('POST', '/releases', {}).catch((e: unknown) => e)) as ApiError
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 422, code: 'validation_failed' })
    expect(error.message).toBe('invalid json: name: must not be empty')
    expect(error.details).toEqual([{ field: 'name', message: 'must not be empty' }])
    expect(isTransient(error)).toBe(false)
  })

  it('tells the session about a 401', async () => {
    const unauthorized = vi.fn()
    const api = createApi({
      token: () => 'old',
      unauthorized,
      fetch: respond(401, { error: { code: 'unauthorized', message: 'invalid token (revoked)' } }),
    })
    await expect(api.get('/board')).rejects.toThrow('invalid token (revoked)')
    expect(unauthorized).toHaveBeenCalledWith(expect.objectContaining({ status: 401 }))
  })

  it('says what a proxy or a dead server answered, and that it is worth retrying', async () => {
    const api = createApi({
      token: () => null,
      fetch: respond(502, '<html><body><h1>502 Bad Gateway</h1></body></html>'),
    })
    const error = (await api.get('/board').catch((e: unknown) => e)) as ApiError
    expect(error.message).toBe('The server answered 502: 502 Bad Gateway.')
    expect(isTransient(error)).toBe(true)

    const down = createApi({
      token: () => null,
      fetch: vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    })
    const network = (await down.get('/board').catch((e: unknown) => e)) as ApiError
    expect(network).toMatchObject({ status: 0, code: 'network' })
    expect(network.message).toBe('Cannot reach the Shiplog API (Failed to fetch).')
    expect(isTransient(network)).toBe(true)
  })
})
