/**
 * `/api/v1/tokens`: API tokens (admin scope). The secret is shown once, at creation; only its
 * hash is kept (in the NATS KV bucket every service watches).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { Label, SCOPES, page } from '@shiplog/contracts'
import type { TokenStore } from '@shiplog/kit'

import type { Guards } from './auth.ts'
import { router, IdParams, body, errors, json, notFound, security } from './openapi.ts'

const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    hint: z.string().openapi({ description: 'The first characters of the secret' }),
    scopes: z.array(z.enum(SCOPES)),
    created_at: z.string(),
    created_by: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('Token')

const CreateToken = z.strictObject({
  // the name is every event's reporter: it must be storable as it is
  name: Label(100),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }))
    .min(1, { error: 'give at least one scope' }),
})

const tags = ['Tokens']
const view = ({ hash: _hash, ...record }: Record<string, unknown> & { hash: string }) =>
  record as z.infer<typeof Token>

export function tokenRoutes(deps: { tokens: TokenStore; guards: Guards }) {
  const { tokens, guards } = deps
  const app = router()

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tokens',
      tags,
      summary: 'Create a token; its secret is in this answer and nowhere else',
      security,
      middleware: [guards.admin] as const,
      request: { body: body(CreateToken) },
      responses: {
        201: json(
          Token.extend({ token: z.string() }).openapi('NewToken'),
          'The token, with its secret'
        ),
        ...errors(400, 401, 403, 422, 503),
      },
    }),
    async (c) => {
      const { name, scopes } = c.req.valid('json')
      const { secret, record } = await tokens.create({
        name,
        scopes: [...new Set(scopes)],
        createdBy: c.get('principal').name,
      })
      return c.json({ ...view(record), token: secret }, 201)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tokens',
      tags,
      summary: 'Every token, newest first (no secrets)',
      security,
      middleware: [guards.admin] as const,
      responses: { 200: json(page(Token), 'Tokens'), ...errors(401, 403) },
    }),
    (c) => c.json({ items: tokens.list().map(view), next_cursor: null }, 200)
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tokens/{id}',
      tags,
      summary: 'Revoke a token (it stops working at once everywhere)',
      security,
      middleware: [guards.admin] as const,
      request: { params: IdParams },
      responses: { 200: json(Token, 'The revoked token'), ...errors(401, 403, 404, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const revoked = await tokens.revoke(id)
      if (!revoked) throw notFound('token', id)
      return c.json(view(revoked), 200)
    }
  )

  return app
}
