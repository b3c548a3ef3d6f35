/**
 * The contracts' rules the browser needs: drift, and the release lifecycle. They are copies
 * because the contract modules that define them also build zod schemas at module level, and
 * importing anything from those modules ships zod to the browser (about 45 KB gzipped, more than
 * the rest of the dashboard). rules.test.ts checks each copy against the contracts' own, so they
 * cannot drift apart. (Zod-free contract modules: compareEnvironments, Room, UUID_RE are imported.)
 */
import type { BoardCell, ReleaseStatus } from '@shiplog/contracts'

/** Drift: the versions that run (last successful) differ across the product's environments. */
export function hasDrift(cells: readonly Pick<BoardCell, 'last_success'>[]): boolean {
  const running = new Set(cells.flatMap((c) => (c.last_success ? [c.last_success.version_id] : [])))
  return running.size > 1
}

export const RELEASE_STATUSES: readonly ReleaseStatus[] = [
  'draft',
  'in_progress',
  'completed',
  'cancelled',
]

/** draft → in_progress → completed; cancelled from draft or in_progress; the last two final. */
export const RELEASE_TRANSITIONS: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  draft: ['in_progress', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
}

export const isFinal = (status: ReleaseStatus): boolean => RELEASE_TRANSITIONS[status].length === 0
