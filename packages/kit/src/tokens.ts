/**
 * API tokens, kept in a NATS KV bucket under the SHA-256 of the secret (the secret is never
 * stored). Every service that authenticates watches the bucket into memory, so checking a token
 * costs a hash and a map lookup, and needs no Postgres: ingest keeps accepting events while the
 * database is down.
 */
import { createHash, randomBytes } from 'node:crypto'

import type { KV } from '@nats-io/kv'
import {
  TOKEN_PREFIX,
  TokenRecord,
  hasScope,
  newId,
  tokenIdFromHash,
  type NatsNames,
  type Scope,
} from '@shiplog/contracts'

import type { Logger } from './log.ts'
import { openKv, type Nats } from './nats.ts'

export interface Principal {
  id: string
  name: string
  scopes: Scope[]
}

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'revoked' }

const TOKEN_RE = /^[A-Za-z0-9_\-.~+/=]{16,256}$/

export const hashToken = (secret: string): string =>
  createHash('sha256').update(secret).digest('hex')

export function generateSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

const hintOf = (secret: string) => `${secret.slice(0, TOKEN_PREFIX.length + 4)}…`

export class TokenStore {
  readonly #kv: KV
  readonly #log: Logger
  readonly #byHash = new Map<string, TokenRecord>()
  // Hashes just looked up and not found: a flood of bad tokens costs one bucket read per hash
  // every few seconds, not one per request.
  readonly #unknown = new Map<string, number>()
  #stopped = false
  #watcher: { stop(): void } | undefined

  private constructor(kv: KV, log: Logger) {
    this.#kv = kv
    this.#log = log
  }

  static async open(nats: Nats, names: NatsNames, log: Logger): Promise<TokenStore> {
    const store = new TokenStore(await openKv(nats, names.tokenBucket, 5), log)
    void store.#watch()
    return store
  }

  /** Checks an `Authorization` header value. Unknown hashes are looked up once in the bucket,
   *  so a token created a moment ago on another service works at once. */
  async authenticate(header: string | undefined): Promise<AuthResult> {
    if (!header) return { ok: false, reason: 'missing' }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    const secret = match?.[1]
    if (!secret || !TOKEN_RE.test(secret)) return { ok: false, reason: 'malformed' }
    const hash = hashToken(secret)
    const record = this.#byHash.get(hash) ?? (await this.#fetch(hash))
    if (!record) return { ok: false, reason: 'unknown' }
    if (record.revoked_at) return { ok: false, reason: 'revoked' }
    return { ok: true, principal: { id: record.id, name: record.name, scopes: record.scopes } }
  }

  list(): TokenRecord[] {
    return [...this.#byHash.values()].sort((a, b) => b.created_at.localeCompare(a.created_at))
  }

  get(id: string): TokenRecord | undefined {
    return this.list().find((t) => t.id === id)
  }

  /** Creates a token; the secret is returned here and nowhere else, ever. */
  async create(input: { name: string; scopes: Scope[]; createdBy: string | null }) {
    const secret = generateSecret()
    const record = this.#record(secret, input.name, input.scopes, input.createdBy, newId())
    await this.#kv.create(record.hash, JSON.stringify(record))
    this.#byHash.set(record.hash, record)
    return { secret, record }
  }

  async revoke(id: string): Promise<TokenRecord | undefined> {
    const record = this.get(id)
    if (!record) return undefined
    if (record.revoked_at) return record
    const revoked = { ...record, revoked_at: new Date().toISOString() }
    await this.#kv.put(record.hash, JSON.stringify(revoked))
    this.#byHash.set(record.hash, revoked)
    return revoked
  }

  /**
   * Makes sure the operator's bootstrap token exists with every scope. A bootstrap token an
   * admin has revoked stays revoked: restarting a service must not bring it back.
   */
  async ensureBootstrap(secret: string): Promise<void> {
    const hash = hashToken(secret)
    const record = this.#record(
      secret,
      'bootstrap',
      ['admin', 'ingest', 'read', 'write'],
      null,
      tokenIdFromHash(hash)
    )
    try {
      await this.#kv.create(hash, JSON.stringify(record))
      this.#byHash.set(hash, record)
    } catch (err) {
      const existing = await this.#fetch(hash)
      if (!existing) throw err
      if (existing.revoked_at) {
        this.#log.warn('SHIPLOG_BOOTSTRAP_TOKEN was revoked; it stays revoked')
      }
    }
  }

  stop(): void {
    this.#stopped = true
    this.#watcher?.stop()
  }

  #record(
    secret: string,
    name: string,
    scopes: Scope[],
    createdBy: string | null,
    id: string
  ): TokenRecord {
    return {
      id,
      name,
      hash: hashToken(secret),
      hint: hintOf(secret),
      scopes,
      created_at: new Date().toISOString(),
      created_by: createdBy,
      revoked_at: null,
    }
  }

  async #fetch(hash: string): Promise<TokenRecord | undefined> {
    const now = Date.now()
    if ((this.#unknown.get(hash) ?? 0) > now) return undefined
    const entry = await this.#kv.get(hash)
    if (!entry || entry.operation !== 'PUT') {
      if (this.#unknown.size >= 10_000) this.#unknown.clear()
      this.#unknown.set(hash, now + 5000)
      return undefined
    }
    const record = this.#parse(entry.string())
    if (record) this.#byHash.set(hash, record)
    return record
  }

  #parse(json: string): TokenRecord | undefined {
    try {
      return TokenRecord.parse(JSON.parse(json))
    } catch (err) {
      this.#log.error({ err }, 'ignoring a malformed token record')
      return undefined
    }
  }

  // The watch is an ordered consumer that resumes by itself after a reconnect; should it end
  // anyway (bucket recreated, say), it is started again.
  async #watch(): Promise<void> {
    while (!this.#stopped) {
      try {
        const watcher = await this.#kv.watch()
        this.#watcher = watcher
        for await (const entry of watcher) {
          if (entry.operation === 'PUT') {
            const record = this.#parse(entry.string())
            if (record) this.#byHash.set(entry.key, record)
            this.#unknown.delete(entry.key)
          } else {
            this.#byHash.delete(entry.key)
          }
        }
      } catch (err) {
        if (!this.#stopped) this.#log.warn({ err }, 'token watch failed; retrying')
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

export { hasScope }
