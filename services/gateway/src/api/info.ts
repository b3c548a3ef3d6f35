/**
 * `GET /api/v1/info`: what a client needs to know about this install before it has a token —
 * the version, whether anonymous reads are allowed, and where CD tools post events (so the
 * dashboard's empty states can show a curl that works).
 */
import { createRoute, z } from '@hono/zod-openapi'

import { json, router } from './openapi.ts'

export const Info = z
  .object({
    version: z.string(),
    public_read: z.boolean(),
    /** Ingest's public base URL, when the operator set SHIPLOG_INGEST_URL. */
    ingest_url: z.string().nullable(),
  })
  .openapi('Info')

export function infoRoutes(info: z.infer<typeof Info>) {
  const app = router()
  app.openapi(
    createRoute({
      method: 'get',
      path: '/info',
      tags: ['Info'],
      summary: 'About this install (no token needed)',
      responses: { 200: json(Info, 'Version, anonymous reads, ingest URL') },
    }),
    (c) => c.json(info, 200)
  )
  return app
}
