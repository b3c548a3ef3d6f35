/**
 * Release intelligence routes: the timeline, release reports and their analyses, the settings of
 * automatic releases, the deployments chart and DORA metrics.
 */
import { createRoute, z } from '@hono/zod-openapi'
import {
  Analysis,
  CreateAnalysis,
  DeploymentStats,
  DoraReport,
  RELEASE_STATUSES,
  ReleaseReport,
  ReleaseSettings,
  TimelineRelease,
  UpdateReleaseSettings,
  page,
} from '@shiplog/contracts'
import { AppError } from '@shiplog/kit'

import { environmentRef, productRef, type Sql } from '../read/db.ts'
import {
  readAnalyses,
  readDeploymentStats,
  readDora,
  readReport,
  readSettings,
  readTimeline,
} from '../read/intelligence.ts'
import type { ReleaseRpc } from '../rpc-client.ts'

import type { Guards } from './auth.ts'
import {
  body,
  defined,
  errors,
  IdParams,
  json,
  Limit,
  ListOf,
  named,
  NameOrId,
  notFound,
  router,
  security,
  uuidOr404,
} from './openapi.ts'
import { existingRelease } from './releases.ts'

const DAY = 86_400_000
const Time = (description: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an RFC 3339 date-time' })
    .optional()
    .openapi({ description })
const Flag = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((v) => v === 'true')
  .optional()
const AnalysisSchema = named(Analysis, 'Analysis')
const SettingsSchema = named(ReleaseSettings, 'ReleaseSettings')

/** A time range: `to` defaults to now, `from` to `defaultDays` before `to`; at most `maxDays`. */
function range(
  q: { from?: string | undefined; to?: string | undefined },
  defaultDays: number,
  maxDays: number
) {
  const to = q.to ? new Date(q.to) : new Date()
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultDays * DAY)
  if (from >= to) {
    throw new AppError('validation_failed', 'from must be before to', [
      { field: 'from', message: 'is not before to' },
    ])
  }
  if (to.getTime() - from.getTime() > maxDays * DAY) {
    throw new AppError('validation_failed', `the range may span at most ${maxDays} days`, [
      { field: 'from', message: `is more than ${maxDays} days before to` },
    ])
  }
  return { from: from.toISOString(), to: to.toISOString() }
}

export function intelligenceRoutes(deps: { sql: Sql; rpc: ReleaseRpc; guards: Guards }) {
  const { sql, rpc, guards } = deps
  const app = router()

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/timeline',
      tags: ['Releases'],
      summary: 'Every release, automatic and manual, newest first by when it shipped',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          from: Time('Releases on or after'),
          to: Time('Releases on or before'),
          status: ListOf(RELEASE_STATUSES, 'status').optional(),
          automatic: Flag,
          visible: Flag,
          product: NameOrId('Product'),
          environment: NameOrId('Targeted environment'),
          limit: Limit(100, 500),
          cursor: z.string().optional(),
        }),
      },
      responses: {
        200: json(page(named(TimelineRelease, 'TimelineRelease')), 'The timeline'),
        ...errors(401, 403, 422),
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      return c.json(
        await readTimeline(sql, {
          limit: q.limit,
          ...defined({
            ...q,
            product: productRef(q.product),
            environment: environmentRef(q.environment),
          }),
        }),
        200
      )
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}/report',
      tags: ['Releases'],
      summary:
        "A release's report: reach, time to production, failures, what is new, adoption, analyses",
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: {
        200: json(named(ReleaseReport, 'ReleaseReport'), 'The report'),
        ...errors(401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const report = await readReport(sql, uuidOr404(id, 'release'))
      if (!report) throw notFound('release', id)
      return c.json(report, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/releases/{id}/analyses',
      tags: ['Releases'],
      summary: 'Items attached to a release (links to dashboards, postmortems, experiments)',
      security,
      middleware: [guards.read] as const,
      request: { params: IdParams },
      responses: {
        200: json(page(AnalysisSchema), 'Its analyses, oldest first'),
        ...errors(401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        {
          items: await readAnalyses(sql, await existingRelease(sql, c.req.valid('param').id)),
          next_cursor: null,
        },
        200
      )
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/releases/{id}/analyses',
      tags: ['Releases'],
      summary: 'Attach an item (title, URL, optional note)',
      security,
      middleware: [guards.write] as const,
      request: { params: IdParams, body: body(CreateAnalysis) },
      responses: { 201: json(AnalysisSchema, 'The item'), ...errors(400, 401, 403, 404, 422, 503) },
    }),
    async (c) => {
      const releaseId = uuidOr404(c.req.valid('param').id, 'release')
      const id = await rpc('analysis.create', {
        actor: c.get('principal').name,
        release_id: releaseId,
        analysis: c.req.valid('json'),
      })
      const created = (await readAnalyses(sql, releaseId)).find((a) => a.id === id)
      if (!created) throw notFound('analysis', id)
      return c.json(created, 201)
    }
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/releases/{id}/analyses/{analysis_id}',
      tags: ['Releases'],
      summary: 'Remove an item',
      security,
      middleware: [guards.write] as const,
      request: {
        params: IdParams.extend({
          analysis_id: z.string().openapi({ param: { name: 'analysis_id', in: 'path' } }),
        }),
      },
      responses: {
        200: json(page(AnalysisSchema), 'The remaining items'),
        ...errors(401, 403, 404, 503),
      },
    }),
    async (c) => {
      const params = c.req.valid('param')
      const releaseId = uuidOr404(params.id, 'release')
      await rpc('analysis.delete', {
        actor: c.get('principal').name,
        release_id: releaseId,
        id: uuidOr404(params.analysis_id, 'analysis'),
      })
      return c.json({ items: await readAnalyses(sql, releaseId), next_cursor: null }, 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settings/releases',
      tags: ['Settings'],
      summary: 'Settings of automatic releases',
      security,
      middleware: [guards.admin] as const,
      responses: { 200: json(SettingsSchema, 'The settings'), ...errors(401, 403) },
    }),
    async (c) => c.json(await readSettings(sql), 200)
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/settings/releases',
      tags: ['Settings'],
      summary: 'Change the settings of automatic releases (audited)',
      security,
      middleware: [guards.admin] as const,
      request: { body: body(UpdateReleaseSettings) },
      responses: { 200: json(SettingsSchema, 'The settings'), ...errors(400, 401, 403, 422, 503) },
    }),
    async (c) => {
      await rpc('settings.update', { actor: c.get('principal').name, patch: c.req.valid('json') })
      return c.json(await readSettings(sql), 200)
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics/deployments',
      tags: ['Metrics'],
      summary: 'Finished deployments over time, by status, with release markers',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          bucket: z.enum(['day', 'hour'], { error: 'must be day or hour' }).default('day'),
          from: Time('Start (default: 30 days, or 2 days for hours, before to)'),
          to: Time('End (default: now)'),
          product: NameOrId('Product'),
          environment: NameOrId('Environment'),
        }),
      },
      responses: {
        200: json(named(DeploymentStats, 'DeploymentStats'), 'Buckets and markers'),
        ...errors(401, 403, 422),
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const hours = q.bucket === 'hour'
      return c.json(
        await readDeploymentStats(sql, {
          bucket: q.bucket,
          ...range(q, hours ? 2 : 30, hours ? 31 : 731),
          ...defined({
            product: productRef(q.product),
            environment: environmentRef(q.environment),
          }),
        }),
        200
      )
    }
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics/dora',
      tags: ['Metrics'],
      summary: 'DORA metrics, per product and overall',
      description:
        'Deployment frequency, lead time for changes, change failure rate and failed-deployment recovery time, over production-type environments (or the one chosen). The answer carries each definition.',
      security,
      middleware: [guards.read] as const,
      request: {
        query: z.object({
          product: NameOrId('Product'),
          environment: NameOrId('Environment (default: every production-type one)'),
          from: Time('Start (default: 30 days before to)'),
          to: Time('End (default: now)'),
        }),
      },
      responses: {
        200: json(named(DoraReport, 'DoraReport'), 'The figures'),
        ...errors(401, 403, 422),
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      return c.json(
        await readDora(sql, {
          ...range(q, 30, 366),
          ...defined({
            product: productRef(q.product),
            environment: environmentRef(q.environment),
          }),
        }),
        200
      )
    }
  )

  return app
}
