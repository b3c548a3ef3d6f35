/**
 * The fault suite's summary table: one row per fault with what was sent, acknowledged and
 * stored, what went wrong (nothing, on a pass), how many releases' progress was recomputed, and
 * how many Socket.IO viewers converged, with when the last of them took its last change, counted
 * from the moment the backlog drained (+0.0 s: already before); printed when the suite ends.
 */
import type { Verdict } from './verdict.ts'

export interface Row extends Verdict {
  /** Something particular the fault's own checks measured (e.g. how fast the 503s came). */
  note?: string
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`)

export function formatSummary(rows: readonly Row[]): string {
  const header = [
    'fault',
    'sent',
    'acked',
    'stored',
    'lost',
    'duplicates',
    'mismatches',
    'releases',
    'views',
    'dead-lettered',
    'recovery',
    'note',
  ]
  const lines = rows.map((r) => [
    r.fault,
    String(r.sent),
    String(r.acknowledged),
    String(r.stored),
    String(r.lost.length),
    String(r.duplicates.length),
    String(r.mismatches.length + r.altered.length),
    String(r.releases),
    r.views ? `${r.views.converged}/${r.views.viewers} at +${seconds(r.views.ms)}` : '—',
    String(r.deadLettered),
    seconds(r.recoveryMs),
    r.note ?? '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  return [
    format(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(format),
  ].join('\n')
}
