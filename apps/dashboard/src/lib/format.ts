/**
 * How things read on screen: statuses as emoji plus words (never colour alone), times relative
 * and absolute, durations and rates as a person says them, release statuses and their
 * transitions as verbs.
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

/** A percentage the API gives as 0..100: whole when it is, else one decimal ("83.3%"). */
export const percentOf = (value: number): string =>
  `${Number.isInteger(value) ? value : Number(value.toFixed(1))}%`

/** A date and time to the minute in UTC, which is how the API buckets days ("2026-01-20 09:45 UTC"). */
export const utc = (iso: string | null | undefined): string =>
  iso ? `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''

/** A day as the API names it (YYYY-MM-DD, UTC) read as a short date ("20 Jan 2026"). */
export const day = (date: string): string =>
  new Date(`${date.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  })

/**
 * A duration the API gives in seconds, in at most two units ("45 s", "2 min 30 s", "2 h 45 min",
 * "1 d 3 h", "12 d"); null, which means there was nothing to measure, reads "—".
 */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const sign = seconds < 0 ? '−' : ''
  const s = Math.round(Math.abs(seconds))
  if (s < 60) return `${sign}${s} s`
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    `${sign}${big} ${bigUnit}${small ? ` ${small} ${smallUnit}` : ''}`
  if (s < 600) return two(Math.floor(s / 60), 'min', s % 60, 's')
  const m = Math.round(s / 60)
  if (m < 60) return `${sign}${m} min`
  if (m < 24 * 60) return two(Math.floor(m / 60), 'h', m % 60, 'min')
  const h = Math.round(m / 60)
  if (h < 240) return two(Math.floor(h / 24), 'd', h % 24, 'h')
  return `${sign}${Math.round(h / 24)} d`
}

/** How often, per day: "4 / day", "1.5 / day", "0.43 / day" (two significant digits below 1). */
export function perDay(rate: number): string {
  if (rate === 0) return '0 / day'
  const shown =
    rate >= 10
      ? Math.round(rate)
      : rate >= 1
        ? Number(rate.toFixed(1))
        : Number(rate.toPrecision(2))
  return `${shown} / day`
}

/** A metadata value as one line: strings as they are, anything else as JSON. */
export const showValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

export const errorText = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === 'string' ? e : 'Something went wrong.'

/** An ISO time as a `<input type="datetime-local">` value, in the browser's time zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** A `<input type="datetime-local">` value (the browser's time zone) as an ISO time; '' → null. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null
  const t = new Date(value).getTime()
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}
