/**
 * The live board over Socket.IO: rooms a client joins, and the one `live` event the gateway sends.
 *
 * Socket.IO delivers at most once, so every message carries its room's sequence number (1, 2, 3…
 * per room, per gateway connection) and every entity in it carries its revision. A client that
 * sees a gap in a room's sequence, or reconnects, fetches the room's snapshot over HTTP and keeps,
 * per entity, whichever copy has the highest revision. The board thus converges to what the
 * database says, whatever is lost or reordered on the way.
 */
import type { BoardCell, Deployment } from './catalog.ts'
import type { Release, ReleaseDetail } from './releases.ts'

export const Room = {
  /** Every board cell. */
  board: 'board',
  /** Summaries (status, progress) of every release: the releases list. */
  releases: 'releases',
  /** Deployments as they change: the live feed. */
  feed: 'feed',
  /** One release, in full (matrix, versions). */
  release: (id: string) => `release:${id}`,
  /** One product's cells and deployments. */
  product: (id: string) => `product:${id}`,
} as const

/**
 * A release's versions as one comparable key: two copies with the same key have the same rows,
 * so a partial message's rows can be put in place of a held copy's. (Here, not in releases.ts,
 * so the dashboard takes it without zod.)
 */
export const versionKey = (release: Pick<ReleaseDetail, 'versions'>): string =>
  release.versions
    .map((v) => v.version_id)
    .sort()
    .join(',')

export const ROOM_RE = /^(board|releases|feed|(release|product):[0-9a-f-]{36})$/

export type LiveMessage = { room: string; seq: number } & (
  | { type: 'cells'; cells: Array<BoardCell & { product_name: string }> }
  | { type: 'releases'; releases: Release[] }
  | {
      type: 'release'
      release: ReleaseDetail
      /**
       * Set when `release.progress.rows` holds only the rows that changed since the room's last
       * message (every other field is complete): a viewer holding the same versions at a rev no
       * newer replaces those rows; one that cannot (other versions, nothing held) reads the
       * release afresh. Rows are most of a release's size, and one deployment moves one of them.
       */
      partial?: true
    }
  | { type: 'deployments'; deployments: Deployment[] }
  /** The gateway may have missed changes for this room: fetch a fresh snapshot. */
  | { type: 'resync' }
)

export type SubscribeAck =
  | { ok: true; /** Each joined room's current sequence number. */ seqs: Record<string, number> }
  | { ok: false; error: { code: string; message: string } }

export interface ServerToClientEvents {
  live: (message: LiveMessage) => void
}

export interface ClientToServerEvents {
  subscribe: (rooms: string[], ack: (result: SubscribeAck) => void) => void
  unsubscribe: (rooms: string[]) => void
}

/** What a client sends when it connects: `io(url, { auth: { token } })`. */
export interface LiveAuth {
  token?: string
}
