/**
 * What every page's store shares: whether its first snapshot is in, and the last error reading it
 * (shown in words on the page; cleared by the next successful read).
 */
import type { ApiError } from '../api.ts'

export class Loadable {
  /** The first snapshot is in. */
  loaded = $state(false)
  /** The last read failed with this; null once a read succeeds. */
  error = $state.raw<ApiError | Error | null>(null)

  protected succeeded(): void {
    this.loaded = true
    this.error = null
  }

  failed(error: unknown): void {
    this.error = error instanceof Error ? error : new Error(String(error))
  }
}
