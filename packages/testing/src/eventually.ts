/** Retries an assertion until it passes or the time is up; the last failure is what is thrown. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeout = 10_000, interval = 50 }: { timeout?: number; interval?: number } = {}
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, interval))
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
