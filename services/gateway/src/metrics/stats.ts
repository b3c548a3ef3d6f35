/**
 * Small statistics shared by the report and DORA figures.
 */

/** The q-quantile (0..1) by linear interpolation between closest ranks; null for no samples. */
export function quantile(values: readonly number[], q: number): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export const DAY_MS = 86_400_000

/** Seconds between two ISO times. */
export const seconds = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 1000
