/** The browser's copies of the contracts' rules are the rules (see rules.ts for why copies). */
import * as contracts from '@shiplog/contracts'
import { describe, expect, it } from 'vitest'

import { RELEASE_STATUSES, RELEASE_TRANSITIONS, hasDrift, isFinal } from './rules.ts'

describe('rules copied from the contracts', () => {
  it('has the same release statuses and lifecycle', () => {
    expect(RELEASE_STATUSES).toEqual(contracts.RELEASE_STATUSES)
    expect(RELEASE_TRANSITIONS).toEqual(contracts.RELEASE_TRANSITIONS)
    for (const s of contracts.RELEASE_STATUSES) expect(isFinal(s)).toBe(contracts.isFinal(s))
  })

  it('finds drift exactly where the contracts do', () => {
    const ran = (id: string | null) => ({ last_success: id ? ({ version_id: id } as never) : null })
    const cases = [
      [],
      [ran('a')],
      [ran('a'), ran('a')],
      [ran('a'), ran(null)],
      [ran('a'), ran('b')],
      [ran(null), ran(null)],
      [ran('a'), ran('b'), ran('a')],
    ]
    for (const cells of cases) expect(hasDrift(cells)).toBe(contracts.hasDrift(cells))
  })
})
