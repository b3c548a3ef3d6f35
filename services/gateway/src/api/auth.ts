/**
 * Which token scope each kind of request needs: `read` for GET (or nothing, when the operator
 * opened the board to anonymous readers), `write` for changes, `admin` for tokens and settings.
 */
import { requireScope, type AppEnv, type TokenStore } from '@shiplog/kit'
import type { MiddlewareHandler } from 'hono'

export interface Guards {
  read: MiddlewareHandler<AppEnv>
  write: MiddlewareHandler<AppEnv>
  admin: MiddlewareHandler<AppEnv>
}

export function guards(tokens: TokenStore, publicRead: boolean): Guards {
  const read = requireScope(tokens, 'read')
  return {
    read: publicRead
      ? async function publicRead(c, next) {
          // a token, when sent, must still be valid; no token reads as "anonymous"
          if (c.req.header('authorization')) return read(c, next)
          c.set('principal', { id: 'anonymous', name: 'anonymous', scopes: ['read'] })
          await next()
        }
      : read,
    write: requireScope(tokens, 'write'),
    admin: requireScope(tokens, 'admin'),
  }
}
