/**
 * How things read on screen: statuses as emoji plus words (never colour alone), times relative
 * and absolute, release statuses and their transitions as verbs.
 */
import type { CellState, ReleaseStatus, Status } from '@shiplog/contracts'

export type Tone = 'ok' | 'bad' | 'busy' | 'muted'

export const DEPLOYMENT_STATUS: Record<Status, { emoji: string; label: string; tone: Tone }> = {
  completed: { emoji: '✅', label: 'deployed', tone: 'ok' },
  failed: { emoji: '🔴', label: 'failed', tone: 'bad' },
  started: { emoji: '🟡', label: 'in progress', tone: 'busy' },
  pending: { emoji: '⏳', label: 'pending', tone: 'busy' },
  aborted: { emoji: '⚪', label: 'aborted', tone: 'muted' },
}

/** The release progress matrix, exactly as the seed draws it. */
export const CELL_STATE: Record<CellState, { emoji: string; label: string; tone: Tone }> = {
  deployed: { emoji: '✅', label: 'deployed', tone: 'ok' },
  not_deployed: { emoji: '❌', label: 'not deployed', tone: 'muted' },
  failed: { emoji: '🔴', label: 'failed', tone: 'bad' },
  in_progress: { emoji: '🟡', label: 'in progress', tone: 'busy' },
}

export const RELEASE_STATUS: Record<ReleaseStatus, { label: string; tone: Tone }> = {
  draft: { label: 'Draft', tone: 'muted' },
  in_progress: { label: 'In progress', tone: 'busy' },
  completed: { label: 'Completed', tone: 'ok' },
  cancelled: { label: 'Cancelled', tone: 'bad' },
}

/** The button that moves a release to a status. */
export const TRANSITION_VERB: Record<ReleaseStatus, string> = {
  draft: 'Back to draft',
  in_progress: 'Start',
  completed: 'Mark completed',
  cancelled: 'Cancel release',
}

export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return ''
  const s = Math.round((now - Date.parse(iso)) / 1000)
  if (s < 45) return 'just now'
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.round(m / 60)
  if (h < 24) return `${h} h ago`
  const d = Math.round(h / 24)
  if (d < 30) return `${d} d ago`
  return new Date(iso).toLocaleDateString()
}

export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString() : ''

export const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`

/** A metadata value as one line: strings as they are, anything else as JSON. */
export const showValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

export const errorText = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === 'string' ? e : 'Something went wrong.'
