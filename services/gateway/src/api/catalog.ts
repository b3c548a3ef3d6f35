/**
 * `/api/v1` catalog reads (products, environments, versions, deployments), the board, and
 * environment settings. Filters take names, as Versioner's did, or ids.
 */
import { createRoute, z } from '@hono/zod-openapi'
import {
  STATUSES,
  UpdateEnvironment,
  environmentId,
  page,
  productId,
  type Board,
} from '@shiplog/contracts'

import { readBoard, readBoardJson, readCells, readEnvironments } from '../read/board.ts'
import {
  listDeployments,
  listProducts,
  listVersions,
  readProduct,
  readVersion,
} from '../read/catalog.ts'
import { environmentRef, productRef, resolveId, type Sql } from '../read/db.ts'
import type { ReleaseRpc } from '../rpc-client.ts'

import type { Guards } from './auth.ts'
import {
  BoardSchema,
  CellSchema,
  DeploymentSchema,
  EnvironmentSchema,
  ProductSchema,
  VersionSchema,
} from './schemas.ts'
import {
  body,
  defined,
  errors,
  IdParams,
  json,
  Limit,
  ListOf,
  NameOrId,
  notFound,
  router,
  security,
  uuidOr404,
} from './openapi.ts'

const names = (value: string | undefined, toId: (name: string) => string) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => resolveId(s, toId))

export function catalogRoutes(deps: { sql: Sql; rpc: ReleaseRpc; guards: Guards }) {
  const { sql, rpc, guards } = deps
  const app = router()

  app.openapi(
    createRoute({
      method: 'get',
      path: '/board',
      tags: ['Board'],
      summary: 'Which version of every product is where',
      description:
        'Per product and environment: the current deployment (whatever its status) and the last successful one, and whether the versions running differ across environments (drift).',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          product: z
            .string()
            .optional()
            .openapi({ description: 'Comma-separated product names or ids' }),
          environment: z
            .string()
            .optional()
            .openapi({ description: 'Comma-separated environment names or ids' }),
        }),
      },
      responses: { 200: json(BoardSchema, 'The board'), ...errors(401, 403, 422) },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const products = names(q.product, productId)
      const environments = names(q.environment, environmentId)
      // the whole board is kept serialized (read/board.ts) and sent as it is: the bytes c.json
      // would make of readBoard, so typed as its answer
      if (!products && !environments) {
        const board = c.body(await readBoardJson(sql), 200, { 'content-type': 'application/json' })
        return board as unknown as ReturnType<typeof c.json<Board, 200>>
      }
      return c.json(
        await readBoard(sql, {
          ...defined({ products, environments }),
        }),
        200
      )
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products',
      tags: ['Catalog'],
      summary: 'Products, by name',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          q: z.string().max(255).optional(),
          limit: Limit(100, 500),
          cursor: z.string().optional(),
        }),
      },
      responses: { 200: json(page(ProductSchema), 'A page of products'), ...errors(401, 403, 422) },
    }),
    async (c) => {
      const { q, limit, cursor } = c.req.valid('query')
      return c.json(await listProducts(sql, { limit, ...defined({ q, cursor }) }), 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/products/{id}',
      tags: ['Catalog'],
      summary: 'A product (id or name) and its board cells',
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: {
        200: json(
          ProductSchema.extend({ cells: z.array(CellSchema) }).openapi('ProductDetail'),
          'The product'
        ),
        ...errors(401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const product = await readProduct(sql, resolveId(id, productId))
      if (!product) throw notFound('product', id)
      const cells = (await readCells(sql, { products: [product.id] })).map(
        ({ product_name: _, ...cell }) => cell
      )
      return c.json({ ...product, cells }, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/environments',
      tags: ['Catalog'],
      summary: 'Environments in board order',
      security,
      middleware: [guards.read] as const,
      responses: { 200: json(page(EnvironmentSchema), 'Every environment'), ...errors(401, 403) },
    }),
    async (c) => c.json({ items: await readEnvironments(sql), next_cursor: null }, 200)
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/environments/{id}',
      tags: ['Catalog'],
      summary: "Change an environment's type or board position",
      description:
        'The type decides what counts as production in release progress; display_order null returns to type order.',
      security,
      middleware: [guards.write] as const,
      request: { params: IdParams, body: body(UpdateEnvironment) },
      responses: {
        200: json(EnvironmentSchema, 'The environment'),
        ...errors(400, 401, 403, 404, 422, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const envId = resolveId(id, environmentId)
      await rpc('environment.update', {
        actor: c.get('principal').name,
        id: envId,
        patch: c.req.valid('json'),
      })
      const env = (await readEnvironments(sql)).find((e) => e.id === envId)
      if (!env) throw notFound('environment', id)
      return c.json(env, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/versions',
      tags: ['Catalog'],
      summary: 'Versions, newest first',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          product: NameOrId('Product'),
          limit: Limit(50, 500),
          cursor: z.string().optional(),
        }),
      },
      responses: { 200: json(page(VersionSchema), 'A page of versions'), ...errors(401, 403, 422) },
    }),
    async (c) => {
      const { product, limit, cursor } = c.req.valid('query')
      return c.json(
        await listVersions(sql, {
          limit,
          ...defined({ product: productRef(product), cursor }),
        }),
        200
      )
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/versions/{id}',
      tags: ['Catalog'],
      summary: 'A version, where it is deployed, and the releases it is in',
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: {
        200: json(
          VersionSchema.extend({
            deployments: z.array(DeploymentSchema),
            releases: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
          }).openapi('VersionDetail'),
          'The version'
        ),
        ...errors(401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const version = await readVersion(sql, uuidOr404(id, 'version'))
      if (!version) throw notFound('version', id)
      return c.json(version, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/deployments',
      tags: ['Catalog'],
      summary: 'Deployments, newest first by their own time',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          product: NameOrId('Product'),
          environment: NameOrId('Environment'),
          status: ListOf(STATUSES, 'status').optional(),
          since: z.iso
            .datetime({ offset: true, error: 'must be an RFC 3339 date-time' })
            .optional(),
          limit: Limit(50, 500),
          cursor: z.string().optional(),
        }),
      },
      responses: {
        200: json(page(DeploymentSchema), 'A page of deployments'),
        ...errors(401, 403, 422),
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      return c.json(
        await listDeployments(sql, {
          limit: q.limit,
          ...defined({
            product: productRef(q.product),
            environment: environmentRef(q.environment),
            status: q.status,
            since: q.since,
            cursor: q.cursor,
          }),
        }),
        200
      )
    }
  )

  return app
}
