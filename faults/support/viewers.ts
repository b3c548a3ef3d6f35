/**
 * Viewers: headless dashboards on the gateway's Socket.IO, and the check that what they show
 * converged. A viewer builds its view only as a browser does: it runs the dashboard's own sync
 * engine (apps/dashboard/src/lib/live/sync.ts: subscribe on every (re)connect, read each room's
 * snapshot over HTTP once the subscribe is acknowledged, hold messages that arrive meanwhile,
 * refetch on a sequence gap or a `resync`) and its merge rule (live/merge.ts: per entity, the copy
 * with the higher `rev`), and reconnects by itself as the dashboard's connection does. Nothing
 * else feeds it: no view is ever read from the database.
 *
 * After a fault, once the backlog has drained (nothing changes any more), `checkViews` holds every
 * viewer to what the API answers fresh from every gateway, and the API to the recomputation from
 * the stored events (test/checker.ts); a view equal to the API thus equals the recomputation too.
 */
import {
  Room,
  type Board,
  type BoardCell,
  type ClientToServerEvents,
  type LiveMessage,
  type ReleaseDetail,
  type ServerToClientEvents,
} from '@shiplog/contracts'
import { io, type Socket } from 'socket.io-client'

import {
  cellKey,
  mergeSnapshot,
  mergeUpdates,
  takeRelease,
} from '../../apps/dashboard/src/lib/live/merge.ts'
import { LiveSync, type RoomHandler } from '../../apps/dashboard/src/lib/live/sync.ts'
import {
  canonical,
  expectedBoard,
  expectedDeployments,
  expectedReleases,
} from '../../test/checker.ts'
import { sleep } from './children.ts'
import { GatewayClient } from './gateway-client.ts'
import type { Sql } from './system.ts'

export interface ViewerStats {
  /** Connections made (the first included). */
  connects: number
  /** Why each connection ended (Socket.IO's reason). */
  disconnects: string[]
  /** performance.now() of the latest connect. */
  connectedAt: number
  messages: number
  /** Live messages received since the latest connect. */
  messagesSinceConnect: number
  snapshots: number
  snapshotFailures: number
  gaps: number
  resyncs: number
}

export class Viewer {
  readonly name: string
  readonly api: GatewayClient
  readonly releaseIds: readonly string[]
  readonly stats: ViewerStats = {
    connects: 0,
    disconnects: [],
    connectedAt: 0,
    messages: 0,
    messagesSinceConnect: 0,
    snapshots: 0,
    snapshotFailures: 0,
    gaps: 0,
    resyncs: 0,
  }
  /** The board's cells, by `product/environment`. */
  cells: ReadonlyMap<string, BoardCell> = new Map()
  /** performance.now() of the latest change to the view (a cell or a release replaced). */
  changedAt = 0
  /** The followed releases, in full. */
  readonly releases = new Map<string, ReleaseDetail>()
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>
  readonly #sync = new LiveSync()
  /** performance.now() of each room's latest snapshot taken in. */
  readonly #snapshotAt = new Map<string, number>()
  readonly #leave: Array<() => void> = []
  #closed = false

  constructor(name: string, gatewayUrl: string, token: string, releaseIds: readonly string[]) {
    this.name = name
    this.api = new GatewayClient(gatewayUrl, token)
    this.releaseIds = releaseIds
    // what the dashboard's connection does (live/connection.svelte.ts), outside a browser
    this.#socket = io(gatewayUrl, {
      transports: ['websocket'],
      auth: { token },
      forceNew: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
    })
    this.#socket.on('connect', () => {
      this.stats.connects++
      this.stats.connectedAt = performance.now()
      this.stats.messagesSinceConnect = 0
      this.#sync.connected(this.#socket)
    })
    this.#socket.on('disconnect', (reason) => {
      this.stats.disconnects.push(reason)
      this.#sync.disconnected()
      // the server hung up on purpose (a gateway stopping): Socket.IO leaves it there
      if (reason === 'io server disconnect' && !this.#closed) {
        setTimeout(() => !this.#closed && this.#socket.connect(), 2000)
      }
    })
    this.#socket.on('connect_error', () => {
      // refused by the server (not a transport failure, which Socket.IO retries by itself)
      if (!this.#socket.active && !this.#closed) {
        setTimeout(() => !this.#closed && this.#socket.connect(), 5000)
      }
    })
    this.#socket.on('live', (message) => {
      this.stats.messages++
      this.stats.messagesSinceConnect++
      if (message.type === 'resync') this.stats.resyncs++
      const last = this.#sync.lastSeq(message.room)
      if (last !== null && message.seq > last + 1) this.stats.gaps++
      this.#sync.message(message)
    })
    this.#leave.push(this.#sync.join(this.#boardRoom()))
    for (const id of releaseIds) this.#leave.push(this.#sync.join(this.#releaseRoom(id)))
  }

  get connected(): boolean {
    return this.#socket.connected
  }

  /** Connected, and every room's snapshot taken in since the latest connect. */
  get synced(): boolean {
    return (
      this.connected &&
      [Room.board, ...this.releaseIds.map(Room.release)].every(
        (room) =>
          this.#sync.lastSeq(room) !== null &&
          (this.#snapshotAt.get(room) ?? -1) >= this.stats.connectedAt
      )
    )
  }

  /** Leaves every room (no snapshot retries linger) and disconnects for good. */
  close(): void {
    this.#closed = true
    for (const leave of this.#leave.splice(0)) leave()
    this.#socket.disconnect()
  }

  /** Takes the merged cells, noting when what they show changed (by rev; a snapshot's copies
   *  of unchanged cells are new objects). */
  #setCells(next: ReadonlyMap<string, BoardCell>) {
    const changed =
      next.size !== this.cells.size ||
      [...next].some(([key, cell]) => this.cells.get(key)?.rev !== cell.rev)
    this.cells = next
    if (changed) this.changedAt = performance.now()
  }

  #took(room: string) {
    this.stats.snapshots++
    this.#snapshotAt.set(room, performance.now())
  }

  #boardRoom(): RoomHandler<Board> {
    return {
      room: Room.board,
      fetch: () => this.api.get<Board>('/board'),
      reset: (board) => {
        this.#setCells(
          mergeSnapshot(
            this.cells,
            board.products.flatMap((p) => p.cells),
            cellKey
          )
        )
        this.#took(Room.board)
      },
      apply: (message: LiveMessage) => {
        if (message.type !== 'cells') return
        const cells = message.cells.map(({ product_name: _name, ...cell }) => cell)
        this.#setCells(mergeUpdates(this.cells, cells, cellKey))
      },
      failed: () => this.stats.snapshotFailures++,
    }
  }

  #releaseRoom(id: string): RoomHandler<ReleaseDetail> {
    // the dashboard's rule (merge.ts takeRelease): a partial copy it cannot complete is refetched
    const take = (release: ReleaseDetail, partial = false): 'refetch' | undefined => {
      const held = this.releases.get(id) ?? null
      const next = takeRelease(held, release, partial)
      if (next === 'refetch') return next
      if (next === held) return
      this.releases.set(id, next)
      this.changedAt = performance.now()
    }
    return {
      room: Room.release(id),
      fetch: () => this.api.get<ReleaseDetail>(`/releases/${id}`),
      reset: (release) => {
        take(release)
        this.#took(Room.release(id))
      },
      apply: (message: LiveMessage) => {
        if (message.type === 'release' && message.release.id === id) {
          return take(message.release, message.partial)
        }
      },
      failed: () => this.stats.snapshotFailures++,
    }
  }
}

/** Opens `count` viewers on a gateway and waits until each has its first snapshots. */
export async function openViewers(
  prefix: string,
  count: number,
  gatewayUrl: string,
  token: string,
  releaseIds: readonly string[],
  timeoutMs = 30_000
): Promise<Viewer[]> {
  const viewers = Array.from(
    { length: count },
    (_, i) => new Viewer(`${prefix}-${i + 1}`, gatewayUrl, token, releaseIds)
  )
  const deadline = Date.now() + timeoutMs
  while (!viewers.every((v) => v.synced)) {
    if (Date.now() > deadline) {
      for (const v of viewers) v.close()
      throw new Error(`viewers on ${gatewayUrl} did not sync within ${timeoutMs / 1000} s`)
    }
    await sleep(100)
  }
  return viewers
}

export interface ViewCheck {
  viewers: number
  /** Viewers whose board and releases equal the API's (and the API the recomputation's). */
  converged: number
  /**
   * When the last viewer took its last change, from `since` (the backlog drained; 0: before
   * that): how far behind the database the live views were at the end.
   */
  ms: number
  /** What still differed at the deadline. */
  mismatches: string[]
}

/**
 * Waits until every viewer shows what a fresh read of every gateway's API shows, and the API what
 * the stored events say; reports what still differs after `timeoutMs`. Call it when nothing
 * changes any more (the backlog drained), or there is nothing to converge to.
 */
export async function checkViews(
  sql: Sql,
  viewers: readonly Viewer[],
  gatewayUrls: readonly string[],
  token: string,
  { since = performance.now(), timeoutMs = 60_000 }: { since?: number; timeoutMs?: number } = {}
): Promise<ViewCheck> {
  const started = performance.now()
  const releaseIds = [...new Set(viewers.flatMap((v) => v.releaseIds))]
  // the recomputation, once: the database no longer changes
  const deployments = await expectedDeployments(sql)
  const [board, releases] = await Promise.all([
    expectedBoard(sql, deployments),
    expectedReleases(sql, deployments),
  ])
  const gateways = gatewayUrls.map((url) => new GatewayClient(url, token))
  for (;;) {
    const mismatches: string[] = []
    try {
      const reads = await Promise.all(
        gateways.map(async (g) => ({
          url: g.url,
          board: await g.get<Board>('/board'),
          releases: await Promise.all(
            releaseIds.map((id) => g.get<ReleaseDetail>(`/releases/${id}`))
          ),
        }))
      )
      const first = reads[0]!
      const apiCells = new Map(
        first.board.products.flatMap((p) => p.cells.map((c) => [cellKey(c), c] as const))
      )
      const apiReleases = new Map(first.releases.map((r) => [r.id, r]))
      // every gateway answers the same
      for (const other of reads.slice(1)) {
        const cells = other.board.products.flatMap((p) => p.cells)
        if (canonical(cells) !== canonical([...first.board.products.flatMap((p) => p.cells)])) {
          mismatches.push(`${other.url} answers another board than ${first.url}`)
        }
        if (canonical(other.releases) !== canonical(first.releases)) {
          mismatches.push(`${other.url} answers other releases than ${first.url}`)
        }
      }
      // the API equals the recomputation from the stored events
      for (const key of new Set([...board.keys(), ...apiCells.keys()])) {
        const want = board.get(key)
        const got = apiCells.get(key)
        const shown = got && {
          current: got.current.id,
          status: got.current.status,
          lastSuccess: got.last_success?.id ?? null,
        }
        if (canonical(want ?? null) !== canonical(shown ?? null)) {
          mismatches.push(
            `API cell ${key}: ${canonical(shown ?? null)}, recomputed ${canonical(want ?? null)}`
          )
        }
      }
      for (const id of releaseIds) {
        const want = releases.get(id)?.progress
        const got = apiReleases.get(id)?.progress
        if (canonical(want ?? null) !== canonical(got ?? null)) {
          mismatches.push(`API release ${id}: progress differs from the recomputation`)
        }
      }
      // every view equals the API
      for (const viewer of viewers) {
        const wrong: string[] = []
        if (!viewer.connected) wrong.push('not connected')
        for (const key of new Set([...apiCells.keys(), ...viewer.cells.keys()])) {
          const a = viewer.cells.get(key)
          const b = apiCells.get(key)
          if (canonical(a ?? null) !== canonical(b ?? null)) {
            wrong.push(`cell ${key} rev ${a?.rev ?? 'missing'} (API rev ${b?.rev ?? 'missing'})`)
          }
        }
        for (const id of viewer.releaseIds) {
          const a = viewer.releases.get(id)
          const b = apiReleases.get(id)
          if (canonical(a ?? null) !== canonical(b ?? null)) {
            wrong.push(`release ${id} rev ${a?.rev ?? 'missing'} (API rev ${b?.rev ?? 'missing'})`)
          }
        }
        if (wrong.length) {
          mismatches.push(`${viewer.name}: ${wrong.length} differ: ${wrong.slice(0, 3).join('; ')}`)
        }
      }
    } catch (err) {
      mismatches.push(`reading the API: ${(err as Error).message}`)
    }
    const ms = Math.max(0, ...viewers.map((v) => v.changedAt - since))
    if (!mismatches.length) {
      return { viewers: viewers.length, converged: viewers.length, ms, mismatches }
    }
    if (performance.now() - started > timeoutMs) {
      const unconverged = new Set(
        mismatches.map((m) => m.split(':')[0]).filter((n) => viewers.some((v) => v.name === n))
      )
      return {
        viewers: viewers.length,
        converged: viewers.length - unconverged.size,
        ms,
        mismatches,
      }
    }
    await sleep(250)
  }
}
