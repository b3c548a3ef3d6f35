/**
 * The gateway, built from its dependencies: `/api/v1` (zod-validated, described by an OpenAPI 3.1
 * document at /api/v1/openapi.json, rendered for people at /api/docs), health checks, and the
 * dashboard at /.
 */
import { Scalar } from '@scalar/hono-api-reference'
import {
  errorHandler,
  healthRoutes,
  notFound,
  type Logger,
  type ReadinessCheck,
  type TokenStore,
} from '@shiplog/kit'

import { guards } from './api/auth.ts'
import { infoRoutes } from './api/info.ts'
import { dashboardRoutes } from './dashboard.ts'
import { catalogRoutes } from './api/catalog.ts'
import { intelligenceRoutes } from './api/intelligence.ts'
import { router } from './api/openapi.ts'
import { releaseRoutes } from './api/releases.ts'
import { tokenRoutes } from './api/tokens.ts'
import type { Sql } from './read/db.ts'
import type { ReleaseRpc } from './rpc-client.ts'

export interface GatewayDeps {
  sql: Sql
  rpc: ReleaseRpc
  tokens: TokenStore
  log: Logger
  publicRead: boolean
  readiness: Record<string, ReadinessCheck>
  /** The built dashboard, served at / (none in API-only tests). */
  dashboardDir?: string
  /** Ingest's public base URL, shown to people for posting events. */
  ingestUrl?: string | null
}

export const API_VERSION = '1.0.0'

export function createGatewayApp(deps: GatewayDeps) {
  const { sql, rpc, tokens, log } = deps
  const guard = guards(tokens, deps.publicRead)

  const api = router()
  api.route(
    '/',
    infoRoutes({
      version: API_VERSION,
      public_read: deps.publicRead,
      ingest_url: deps.ingestUrl ?? null,
    })
  )
  // before the release routes: /releases/timeline must not read as /releases/{id}
  api.route('/', intelligenceRoutes({ sql, rpc, guards: guard }))
  api.route('/', releaseRoutes({ sql, rpc, guards: guard }))
  api.route('/', catalogRoutes({ sql, rpc, guards: guard }))
  api.route('/', tokenRoutes({ tokens, guards: guard }))

  const app = router()
  app.onError(errorHandler(log))
  app.notFound(notFound)
  app.route('/', healthRoutes(deps.readiness))
  app.route('/api/v1', api)
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A Shiplog token (shp_…); scopes: read for GET, write for changes, admin for tokens.',
  })
  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Shiplog API',
      version: API_VERSION,
      description:
        'Releases, the environment board, and the catalog of products, versions and deployments. Every error is {"error":{"code","message","details"?}} with a stable code.',
    },
    servers: [{ url: '/' }],
  })
  app.get('/api/docs', Scalar({ url: '/api/v1/openapi.json', pageTitle: 'Shiplog API' }))
  if (deps.dashboardDir) app.route('/', dashboardRoutes(deps.dashboardDir))
  return app
}
