/**
 * "Now", ticking every 15 seconds, so relative times ("3 min ago") on a wall screen stay true
 * without anything else changing.
 */
class Clock {
  now = $state(Date.now())
  constructor() {
    setInterval(() => (this.now = Date.now()), 15_000)
  }
}

export const clock = new Clock()
