/**
 * Opaque pagination cursors: the sort key of the last item of a page, base64url-encoded JSON.
 */
import { AppError } from '@shiplog/kit'

export const encodeCursor = (key: readonly (string | number)[]): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url')

export function decodeCursor(cursor: string | undefined, arity: number): string[] | undefined {
  if (!cursor) return undefined
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string')) {
      return key
    }
  } catch {
    // falls through to the error below
  }
  throw new AppError(
    'validation_failed',
    'invalid cursor: pass back a next_cursor exactly as received',
    [{ field: 'cursor', message: 'is not a cursor this API issued' }]
  )
}
