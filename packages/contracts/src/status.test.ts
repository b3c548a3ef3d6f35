import { describe, expect, it } from 'vitest'

import { STATUSES, normalizeStatus } from './status.ts'

describe('normalizeStatus', () => {
  // Versioner's alias table (reference/versioner.md §3.2), row by row.
  const table: Record<string, string[]> = {
    pending: ['pending', 'queued', 'scheduled'],
    started: ['started', 'in_progress', 'init', 'deploying', 'building'],
    completed: ['success', 'completed', 'complete', 'finished', 'deployed', 'built'],
    failed: ['failed', 'fail', 'failure', 'error'],
    aborted: ['aborted', 'abort', 'cancelled', 'cancel', 'skipped'],
  }

  for (const [canonical, aliases] of Object.entries(table)) {
    it.each(aliases)(`maps "%s" to ${canonical}`, (alias) => {
      expect(normalizeStatus(alias)).toBe(canonical)
    })
  }

  it('ignores case and surrounding space', () => {
    expect(normalizeStatus('  SUCCESS ')).toBe('completed')
    expect(normalizeStatus('In_Progress')).toBe('started')
  })

  it('rejects what it does not know', () => {
    expect(normalizeStatus('succeeded')).toBeUndefined()
    expect(normalizeStatus('')).toBeUndefined()
    expect(normalizeStatus('in progress')).toBeUndefined()
  })

  it('covers exactly the five canonical statuses', () => {
    expect(new Set(Object.keys(table))).toEqual(new Set(STATUSES))
  })
})
