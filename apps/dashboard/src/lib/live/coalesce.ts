/**
 * One read at a time: a call while the read is in flight makes it run once more afterwards (that
 * read may have started before whatever prompted the call), however many calls came meanwhile.
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  return () => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await task()
        } while (again)
      } finally {
        running = null
      }
    })()
    return running
  }
}
