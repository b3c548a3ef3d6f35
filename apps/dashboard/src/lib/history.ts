/** A release history entry in one sentence. */
import type { HistoryEntry } from '@shiplog/contracts'

import { showValue } from './format.ts'

const fromTo = (v: unknown): string => {
  if (v && typeof v === 'object' && 'from' in v && 'to' in v) {
    const { from, to } = v as { from: unknown; to: unknown }
    return `${showValue(from ?? '—')} → ${showValue(to ?? '—')}`
  }
  return showValue(v)
}

export function describe(entry: HistoryEntry): string {
  const c = entry.changes as Record<string, unknown>
  const reason = typeof c.reason === 'string' ? ` (${c.reason})` : ''
  switch (entry.action) {
    case 'created':
      return `created the release${typeof c.status === 'string' ? ` as ${c.status}` : ''}${reason}`
    case 'status_changed':
      return `changed the status ${showValue(c.from)} → ${showValue(c.to)}${reason}`
    case 'version_added':
      return `added ${showValue(c.product_name)} ${showValue(c.version)}`
    case 'version_removed':
      return `removed ${c.product_name ? `${showValue(c.product_name)} ${showValue(c.version)}` : 'a version'}`
    case 'edited':
      return `edited ${Object.entries(c)
        .map(([k, v]) => `${k}: ${fromTo(v)}`)
        .join('; ')}`
    default:
      return `${String(entry.action)} ${JSON.stringify(c)}`
  }
}
