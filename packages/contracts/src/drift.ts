/**
 * Drift, as the board shows it. Kept free of zod, so the browser can import it without shipping zod.
 */
import type { BoardCell } from './catalog.ts'

/** Drift: the versions that run (last successful) differ across the product's environments. */
export function hasDrift(cells: readonly Pick<BoardCell, 'last_success'>[]): boolean {
  const running = new Set(cells.flatMap((c) => (c.last_success ? [c.last_success.version_id] : [])))
  return running.size > 1
}
