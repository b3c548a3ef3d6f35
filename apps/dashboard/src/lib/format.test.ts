/** Routes, relative times and history sentences: what people read. */
import type { HistoryEntry } from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { ago } from './format.ts'
import { describe as sentence } from './history.ts'
import { match } from './router.svelte.ts'

describe('routes', () => {
  it('names each page and its parameter', () => {
    expect(match('/')).toMatchObject({ name: 'board', param: '' })
    expect(match('/releases')).toMatchObject({ name: 'releases' })
    expect(match('/releases/01a2-x')).toMatchObject({ name: 'release', param: '01a2-x' })
    expect(match('/products/my%20svc')).toMatchObject({ name: 'product', param: 'my svc' })
    expect(match('/feed/')).toMatchObject({ name: 'feed' })
    expect(match('/nope/deeper')).toMatchObject({ name: 'not_found' })
    expect(match('/releases/a').key).not.toBe(match('/releases/b').key)
  })
})

describe('relative times', () => {
  const now = Date.parse('2026-03-01T12:00:00Z')
  it('reads like a person would say it', () => {
    expect(ago('2026-03-01T11:59:30Z', now)).toBe('just now')
    expect(ago('2026-03-01T11:57:00Z', now)).toBe('3 min ago')
    expect(ago('2026-03-01T07:00:00Z', now)).toBe('5 h ago')
    expect(ago('2026-02-27T12:00:00Z', now)).toBe('2 d ago')
    expect(ago(null, now)).toBe('')
  })
})

describe('history', () => {
  const entry = (action: HistoryEntry['action'], changes: Record<string, unknown>) =>
    ({ id: 1, release_id: 'r', at: '', actor: 'a', action, changes }) as HistoryEntry
  it('says what changed', () => {
    expect(sentence(entry('created', { name: 'R', status: 'draft' }))).toBe(
      'created the release as draft'
    )
    expect(
      sentence(entry('status_changed', { from: 'draft', to: 'in_progress', reason: 'a deploy' }))
    ).toBe('changed the status draft → in_progress (a deploy)')
    expect(sentence(entry('version_added', { product_name: 'web', version: '1.2.3' }))).toBe(
      'added web 1.2.3'
    )
    expect(sentence(entry('edited', { name: { from: 'A', to: 'B' }, description: null }))).toBe(
      'edited name: A → B; description: null'
    )
  })
})
