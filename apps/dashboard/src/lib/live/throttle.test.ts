/** At most one run per period: the first at once, one more at the end for whatever came meanwhile. */
import { describe, expect, it } from 'vitest'

import { throttle, type ThrottleTimers } from './throttle.ts'

function clock() {
  let now = 0
  const timers: Array<{ at: number; fn: () => void; id: number }> = []
  let ids = 0
  const t: ThrottleTimers & { advance(ms: number): void } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++ids
      timers.push({ at: now + ms, fn, id })
      return id
    },
    clearTimeout: (h) => {
      const i = timers.findIndex((x) => x.id === h)
      if (i >= 0) timers.splice(i, 1)
    },
    advance(ms) {
      now += ms
      for (;;) {
        const due = timers.filter((x) => x.at <= now).sort((a, b) => a.at - b.at)[0]
        if (!due) return
        timers.splice(timers.indexOf(due), 1)
        due.fn()
      }
    },
  }
  return t
}

describe('throttle', () => {
  it('runs the first call at once and folds a burst into one run at the end of the period', () => {
    const t = clock()
    let runs = 0
    const f = throttle(() => runs++, 1000, t)
    f()
    expect(runs).toBe(1)
    t.advance(100)
    f()
    f()
    f()
    expect(runs).toBe(1)
    t.advance(899)
    expect(runs).toBe(1)
    t.advance(1)
    expect(runs).toBe(2)
    // quiet for longer than the period: the next call runs at once again
    t.advance(5000)
    f()
    expect(runs).toBe(3)
  })

  it('drops the pending run when cancelled', () => {
    const t = clock()
    let runs = 0
    const f = throttle(() => runs++, 1000, t)
    f()
    f()
    f.cancel()
    t.advance(2000)
    expect(runs).toBe(1)
  })
})
