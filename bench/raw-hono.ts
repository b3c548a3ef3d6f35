/**
 * The raw HTTP baseline: Hono on @hono/node-server, as ingest runs it, doing no work but reading
 * and parsing the JSON body and answering 202. Run as a process of its own (like ingest) by the
 * benchmark: `RAW_HONO_PORT=… node --import tsx bench/raw-hono.ts`.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const port = Number(process.env.RAW_HONO_PORT ?? 0)

const app = new Hono()
  .get('/healthz', (c) => c.json({ status: 'ok' }))
  .post('/', async (c) => {
    await c.req.json()
    return c.json({ result: 'accepted' }, 202)
  })

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
process.on('SIGTERM', () => server.close(() => process.exit(0)))
