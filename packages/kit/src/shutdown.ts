/**
 * Graceful shutdown: SIGTERM/SIGINT run the service's stop() once, with a hard deadline after
 * which the process exits anyway (a stuck drain must not keep an orchestrator waiting).
 */
import type { Server, ServerResponse } from 'node:http'

import type { Logger } from './log.ts'

/**
 * Lets an HTTP server stop without waiting on keep-alive clients: once stopping, every answer
 * asks its client to close, and idle connections are closed as they go idle (a client that keeps
 * sending would otherwise hold the process past its shutdown deadline). Requests in flight finish.
 * Call it at startup; it returns the function that stops the server, which takes what actually
 * closes it (Socket.IO closes its HTTP server itself).
 */
export function graceful(server: Server) {
  let stopping = false
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping) res.shouldKeepAlive = false
  })
  return async function stop(
    close: () => Promise<unknown> = () => new Promise((r) => server.close(r))
  ) {
    stopping = true
    server.closeIdleConnections()
    const idle = setInterval(() => server.closeIdleConnections(), 100)
    try {
      await close()
    } finally {
      clearInterval(idle)
    }
  }
}

export function onShutdown(stop: () => Promise<void>, log: Logger, deadlineMs = 15_000): void {
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed; exiting')
      process.exit(1)
    }, deadlineMs)
    timer.unref()
    stop().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

/** Logs the reason a service could not start and exits non-zero. */
export function fatal(log: Logger, err: unknown): never {
  log.fatal({ err }, err instanceof Error ? err.message : String(err))
  process.exit(1)
}
