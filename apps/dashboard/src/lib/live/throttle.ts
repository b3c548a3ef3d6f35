/**
 * At most one run per `ms`, the first at once: a burst of live messages (a CD tool deploying
 * forty services) costs a chart a few reads, not forty, and the first change still shows without
 * waiting. Calls during the quiet period make exactly one more run at its end, which sees them all.
 */
export interface ThrottleTimers {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
}

export interface Throttled {
  (): void
  /** Drops a pending run (the page closed). */
  cancel(): void
}

export function throttle(run: () => void, ms: number, timers = realTimers): Throttled {
  let last = -Infinity
  let timer: unknown = null
  const fire = () => {
    timer = null
    last = timers.now()
    run()
  }
  const throttled = () => {
    if (timer !== null) return
    const wait = last + ms - timers.now()
    if (wait <= 0) fire()
    else timer = timers.setTimeout(fire, wait)
  }
  throttled.cancel = () => {
    if (timer !== null) timers.clearTimeout(timer)
    timer = null
  }
  return throttled
}
