/**
 * API tokens: scopes and the record kept (hash only) in the tokens KV bucket.
 */
import { z } from 'zod'

export const Scope = {
  /** Post deployment and build events to ingest. */
  ingest: 'ingest',
  /** Read the API and watch the live board. */
  read: 'read',
  /** Change releases and environments. */
  write: 'write',
  /** Manage tokens and settings. Grants every other scope. */
  admin: 'admin',
} as const
export type Scope = (typeof Scope)[keyof typeof Scope]
export const SCOPES = Object.values(Scope)

export const TOKEN_PREFIX = 'shp_'

export const TokenRecord = z.object({
  id: z.string(),
  name: z.string().min(1).max(100),
  /** SHA-256 of the whole secret, hex. The secret itself is never stored. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The secret's first characters, so people can tell tokens apart. */
  hint: z.string(),
  scopes: z.array(z.enum(SCOPES)).min(1),
  created_at: z.string(),
  created_by: z.string().nullable(),
  revoked_at: z.string().nullable(),
})
export type TokenRecord = z.infer<typeof TokenRecord>

/** `admin` grants everything; `write` includes `read`. */
export function hasScope(scopes: readonly Scope[], wanted: Scope): boolean {
  if (scopes.includes('admin') || scopes.includes(wanted)) return true
  return wanted === 'read' && scopes.includes('write')
}
