/**
 * `/api/v1/releases`: the seed's release operations. Reads come from Postgres; changes go to the
 * release service, which enforces the rules and answers with what it changed.
 */
import { createRoute, z } from '@hono/zod-openapi'
import {
  AddReleaseVersion,
  CreateRelease,
  RELEASE_STATUSES,
  UpdateRelease,
  page,
} from '@shiplog/contracts'

import type { Sql } from '../read/db.ts'
import {
  listReleases,
  readHistory,
  readRelease,
  readReleaseDeployments,
  readReleaseVersions,
  releaseExists,
} from '../read/releases.ts'
import type { ReleaseRpc } from '../rpc-client.ts'

import type { Guards } from './auth.ts'
import {
  DeploymentSchema,
  HistoryEntrySchema,
  ReleaseDetailSchema,
  ReleaseSchema,
  ReleaseVersionSchema,
} from './schemas.ts'
import {
  body,
  defined,
  errors,
  IdParams,
  json,
  Limit,
  ListOf,
  notFound,
  router,
  security,
  uuidOr404,
} from './openapi.ts'

const tags = ['Releases']

/** The release's id, once it is known to exist; 404 otherwise. */
export async function existingRelease(sql: Sql, id: string): Promise<string> {
  const uuid = uuidOr404(id, 'release')
  if (!(await releaseExists(sql, uuid))) throw notFound('release', id)
  return uuid
}

export function releaseRoutes(deps: { sql: Sql; rpc: ReleaseRpc; guards: Guards }) {
  const { sql, rpc, guards } = deps
  const app = router()

  async function detail(id: string) {
    const release = await readRelease(sql, id)
    if (!release) throw notFound('release', id)
    return release
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases',
      tags,
      summary: 'List releases, newest first',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          status: ListOf(RELEASE_STATUSES, 'status').optional(),
          q: z.string().max(200).optional().openapi({ description: 'Part of the name, any case' }),
          limit: Limit(50, 200),
          cursor: z.string().optional(),
        }),
      },
      responses: { 200: json(page(ReleaseSchema), 'A page of releases'), ...errors(401, 403, 422) },
    }),
    async (c) => {
      const { status, q, limit, cursor } = c.req.valid('query')
      return c.json(
        await listReleases(sql, {
          limit,
          ...defined({ status, q, cursor }),
        }),
        200
      )
    }
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/releases',
      tags,
      summary: 'Create a release',
      security,
      middleware: [guards.write] as const,
      request: { body: body(CreateRelease) },
      responses: {
        201: json(ReleaseDetailSchema, 'The new release'),
        ...errors(400, 401, 403, 422, 503),
      },
    }),
    async (c) => {
      const id = await rpc('release.create', {
        actor: c.get('principal').name,
        release: c.req.valid('json'),
      })
      return c.json(await detail(id), 201)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}',
      tags,
      summary: 'A release with its versions and progress matrix',
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: { 200: json(ReleaseDetailSchema, 'The release'), ...errors(401, 403, 404) },
    }),
    async (c) => c.json(await detail(uuidOr404(c.req.valid('param').id, 'release')), 200)
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/releases/{id}',
      tags,
      summary: 'Change name, description, status or extra_metadata',
      description:
        'Status follows draft → in_progress → completed, with cancelled from draft or in_progress; completed and cancelled are final (409).',
      security,
      middleware: [guards.write] as const,
      request: { params: IdParams, body: body(UpdateRelease) },
      responses: {
        200: json(ReleaseDetailSchema, 'The changed release'),
        ...errors(400, 401, 403, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const id = uuidOr404(c.req.valid('param').id, 'release')
      await rpc('release.update', {
        actor: c.get('principal').name,
        id,
        patch: c.req.valid('json'),
      })
      return c.json(await detail(id), 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/releases/{id}/versions',
      tags,
      summary: 'Add a version',
      description:
        'Send {"version_id"} or {"product_name","version"}. A release holds one version per product: a second version of a product is a 409 naming the one already there.',
      security,
      middleware: [guards.write] as const,
      request: { params: IdParams, body: body(AddReleaseVersion) },
      responses: {
        201: json(ReleaseDetailSchema, 'The release with the version'),
        ...errors(400, 401, 403, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const id = uuidOr404(c.req.valid('param').id, 'release')
      await rpc('release.add_version', {
        actor: c.get('principal').name,
        id,
        version: c.req.valid('json'),
      })
      return c.json(await detail(id), 201)
    }
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/releases/{id}/versions/{version_id}',
      tags,
      summary: 'Remove a version',
      security,
      middleware: [guards.write] as const,
      request: {
        params: IdParams.extend({
          version_id: z.string().openapi({ param: { name: 'version_id', in: 'path' } }),
        }),
      },
      responses: {
        200: json(ReleaseDetailSchema, 'The release without the version'),
        ...errors(401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const params = c.req.valid('param')
      const id = uuidOr404(params.id, 'release')
      const versionId = uuidOr404(params.version_id, 'version')
      await rpc('release.remove_version', {
        actor: c.get('principal').name,
        id,
        version_id: versionId,
      })
      return c.json(await detail(id), 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}/versions',
      tags,
      summary: "The release's versions",
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: {
        200: json(page(ReleaseVersionSchema), 'Its versions'),
        ...errors(401, 403, 404),
      },
    }),
    async (c) => {
      const id = await existingRelease(sql, c.req.valid('param').id)
      return c.json({ items: await readReleaseVersions(sql, id), next_cursor: null }, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}/deployments',
      tags,
      summary: "Every deployment of the release's versions, newest first",
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: { 200: json(page(DeploymentSchema), 'Deployments'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const id = await existingRelease(sql, c.req.valid('param').id)
      return c.json({ items: await readReleaseDeployments(sql, id), next_cursor: null }, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}/history',
      tags,
      summary: 'The audit trail: every change, who made it and when',
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: { 200: json(page(HistoryEntrySchema), 'Oldest first'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const id = await existingRelease(sql, c.req.valid('param').id)
      return c.json({ items: await readHistory(sql, id), next_cursor: null }, 200)
    }
  )

  return app
}
