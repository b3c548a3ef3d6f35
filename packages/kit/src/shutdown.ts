/**
 * Graceful shutdown: SIGTERM/SIGINT run the service's stop() once, with a hard deadline after
 * which the process exits anyway (a stuck drain must not keep an orchestrator waiting).
 */
import type { Logger } from './log.ts'

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
