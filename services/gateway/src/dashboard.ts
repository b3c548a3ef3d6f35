/**
 * Serves the built dashboard at `/`: its files as they are (hashed assets cached for good), and
 * index.html for any other page path, so deep links and reloads work (the router is client-side).
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Shiplog</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem">
<h1>Shiplog</h1><p>The dashboard has not been built. Run <code>pnpm start</code> (it builds it), or
<code>pnpm --filter @shiplog/dashboard build</code>. The API is at <a href="/api/docs">/api/docs</a>.</p>`

/** Paths that are never pages. */
const NOT_PAGES = /^\/(api|socket\.io|healthz|readyz)(\/|$)/

export function dashboardRoutes(dir: string) {
  const app = new Hono()
  const root = resolve(dir)
  if (!existsSync(join(root, 'index.html'))) {
    app.get('*', (c, next) => (NOT_PAGES.test(c.req.path) ? next() : c.html(NOT_BUILT, 503)))
    return app
  }
  app.use('/assets/*', async (c, next) => {
    await next()
    if (c.res.ok) c.header('Cache-Control', 'public, max-age=31536000, immutable')
  })
  app.use('*', serveStatic({ root }))
  const index = serveStatic({ root, path: 'index.html' })
  app.get('*', async (c, next) => {
    if (NOT_PAGES.test(c.req.path) || /\.\w+$/.test(c.req.path)) return next()
    c.header('Cache-Control', 'no-cache')
    return index(c, next)
  })
  return app
}
