/**
 * Deployment and build statuses: the five canonical values and the aliases CD tools send.
 * The alias table is Versioner's (reference/versioner.md §3.2), so its CLI and Action work unchanged.
 */

export const Status = {
  pending: 'pending',
  started: 'started',
  completed: 'completed',
  failed: 'failed',
  aborted: 'aborted',
} as const
export type Status = (typeof Status)[keyof typeof Status]

export const STATUSES = Object.values(Status)

const ALIASES: Record<string, Status> = {
  pending: 'pending',
  queued: 'pending',
  scheduled: 'pending',
  started: 'started',
  in_progress: 'started',
  init: 'started',
  deploying: 'started',
  building: 'started',
  completed: 'completed',
  success: 'completed',
  complete: 'completed',
  finished: 'completed',
  deployed: 'completed',
  built: 'completed',
  failed: 'failed',
  fail: 'failed',
  failure: 'failed',
  error: 'failed',
  aborted: 'aborted',
  abort: 'aborted',
  cancelled: 'aborted',
  cancel: 'aborted',
  skipped: 'aborted',
}

/** Every spelling ingest accepts, canonical ones first. */
export const STATUS_ALIASES: readonly string[] = Object.keys(ALIASES)

/** Maps any accepted spelling (case and surrounding space ignored) to its canonical status. */
export function normalizeStatus(input: string): Status | undefined {
  return ALIASES[input.trim().toLowerCase()]
}

/** Terminal statuses end a deployment's lifecycle; only `completed` means the version is running there. */
export function isTerminal(status: Status): boolean {
  return status === 'completed' || status === 'failed' || status === 'aborted'
}
