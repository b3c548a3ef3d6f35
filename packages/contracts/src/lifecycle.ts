/**
 * The release lifecycle. Kept free of zod, so the browser can import it without shipping zod.
 */

export const ReleaseStatus = {
  draft: 'draft',
  in_progress: 'in_progress',
  completed: 'completed',
  cancelled: 'cancelled',
} as const
export type ReleaseStatus = (typeof ReleaseStatus)[keyof typeof ReleaseStatus]
export const RELEASE_STATUSES = Object.values(ReleaseStatus)

/**
 * The lifecycle: draft → in_progress → completed, and cancelled from draft or in_progress.
 * completed and cancelled are final. A release leaves draft by itself when a deployment of one
 * of its versions starts; only a person marks it completed.
 */
export const RELEASE_TRANSITIONS: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  draft: ['in_progress', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
}

export const isFinal = (status: ReleaseStatus): boolean => RELEASE_TRANSITIONS[status].length === 0

export const canTransition = (from: ReleaseStatus, to: ReleaseStatus): boolean =>
  RELEASE_TRANSITIONS[from].includes(to)

/** The actor recorded for what Shiplog does by itself. */
export const SYSTEM_ACTOR = 'shiplog'
