/**
 * The live board: Socket.IO on the gateway's HTTP server, fed by the release service's update
 * notes on NATS (contracts `Update`, `live.ts`).
 *
 * Every gateway subscribes to the notes itself, so NATS is the fan-out: gateways side by side need
 * no Socket.IO adapter, and with WebSocket as the only transport, no sticky sessions.
 *
 * Notes are coalesced: changes gather while a flush is under way or for `intervalMs` after the
 * last one, then one flush reads the changed entities' current state from Postgres and sends each
 * room one message of complete entities. A burst therefore costs a room a few messages a second,
 * never a backlog, and what is sent is always what the database says. A release room gets the
 * release whole the first time and whenever the release itself changes; after deployments, every
 * field but the matrix's unmoved rows (contracts `LiveMessage`, `partial`). Anything that may have been missed
 * (NATS reconnected, a slow-consumer drop, the release service restarting) becomes a `resync`; a
 * client too slow to read what it is sent is cut off (slow-clients.ts) and resyncs when back.
 */
import type { Server as HttpServer } from 'node:http'

import {
  ROOM_RE,
  Room,
  Update,
  hasScope,
  versionKey,
  type ClientToServerEvents,
  type LiveMessage,
  type NatsNames,
  type ServerToClientEvents,
} from '@shiplog/contracts'
import type { Logger, Nats, TokenStore } from '@shiplog/kit'
import { Server, type Socket } from 'socket.io'

import { readCells } from './read/board.ts'
import { readDeployments } from './read/catalog.ts'
import type { Sql } from './read/db.ts'
import { listReleasesById, readRelease } from './read/releases.ts'
import { closeWhenBacklogged } from './slow-clients.ts'

export interface LiveOptions {
  sql: Sql
  nats: Nats
  names: NatsNames
  tokens: TokenStore
  log: Logger
  publicRead: boolean
  /** Least time between two flushes; a room gets at most 1000/intervalMs messages a second. */
  intervalMs?: number
  /** A connection with more than this waiting to be written is closed (slow-clients.ts). */
  maxBacklogBytes?: number
}

type Payload = LiveMessage extends infer M
  ? M extends LiveMessage
    ? Omit<M, 'room' | 'seq'>
    : never
  : never

interface Pending {
  cells: Map<string, { product_id: string; environment_id: string }>
  releases: Set<string>
  /** Releases changed themselves (edited, versions added or removed): sent whole. */
  edited: Set<string>
  deployments: Set<string>
}

const empty = (): Pending => ({
  cells: new Map(),
  releases: new Set(),
  edited: new Set(),
  deployments: new Set(),
})

export function attachLive(server: HttpServer, options: LiveOptions) {
  const {
    sql,
    nats,
    names,
    tokens,
    log,
    publicRead,
    intervalMs = 100,
    maxBacklogBytes = 1024 * 1024,
  } = options
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, {
    transports: ['websocket'],
    serveClient: false,
  })
  // Socket.IO keeps each connection's first HTTP request; nothing here needs it.
  io.engine.on('connection', (raw: { request: unknown }) => {
    raw.request = null
  })

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token
    if (typeof token !== 'string' || !token) {
      if (publicRead) return next()
      return next(
        refusal('unauthorized', 'send a token with the read scope: io(url, { auth: { token } })')
      )
    }
    void tokens.authenticate(`Bearer ${token}`).then((result) => {
      if (!result.ok) return next(refusal('unauthorized', `invalid token (${result.reason})`))
      if (!hasScope(result.principal.scopes, 'read')) {
        return next(refusal('forbidden', `token "${result.principal.name}" lacks the "read" scope`))
      }
      next()
    }, next)
  })

  const seqs = new Map<string, number>()
  /** Per release room, the versions of the last whole release sent there. */
  const sentVersions = new Map<string, string>()
  io.of('/').adapter.on('delete-room', (room: string) => sentVersions.delete(room))
  const members = (room: string) => io.sockets.adapter.rooms.get(room)?.size ?? 0

  function send(room: string, payload: Payload) {
    const seq = (seqs.get(room) ?? 0) + 1
    seqs.set(room, seq)
    io.to(room).emit('live', { room, seq, ...payload })
  }

  io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents>) => {
    closeWhenBacklogged(socket.conn, maxBacklogBytes, (bytes) =>
      log.warn(
        { socket: socket.id, address: socket.handshake.address, queuedBytes: bytes },
        'closing a live client that is not reading (it will reconnect and resync)'
      )
    )
    socket.on('subscribe', (rooms, ack) => {
      if (
        !Array.isArray(rooms) ||
        rooms.length > 50 ||
        !rooms.every((r) => typeof r === 'string' && ROOM_RE.test(r))
      ) {
        ack({
          ok: false,
          error: { code: 'validation_failed', message: `rooms must match ${String(ROOM_RE)}` },
        })
        return
      }
      void socket.join(rooms)
      // joined synchronously: every message after this ack reaches the socket with seq + 1
      ack({ ok: true, seqs: Object.fromEntries(rooms.map((r) => [r, seqs.get(r) ?? 0])) })
    })
    socket.on('unsubscribe', (rooms) => {
      if (Array.isArray(rooms)) for (const room of rooms) void socket.leave(room)
    })
  })

  // Upstream: notes of what the release service committed.
  let pending = empty()
  let flushing = false
  let timer: NodeJS.Timeout | undefined
  let lastFlush = 0

  function resyncAll(reason: string) {
    log.info({ reason }, 'asking every client to resync')
    pending = empty()
    for (const room of io.sockets.adapter.rooms.keys()) {
      if (ROOM_RE.test(room)) send(room, { type: 'resync' })
    }
  }

  function note(update: Update) {
    if (update.resync) return resyncAll('the release service asked')
    for (const c of update.cells) pending.cells.set(`${c.product_id}/${c.environment_id}`, c)
    for (const r of update.releases) {
      pending.releases.add(r.id)
      // a note without cells is of a change to the release itself, not of deployments
      if (!update.cells.length) pending.edited.add(r.id)
    }
    for (const d of update.deployments) pending.deployments.add(d)
    schedule()
  }

  function schedule() {
    if (timer || flushing) return
    const wait = Math.max(0, lastFlush + intervalMs - Date.now())
    // a flush right away still waits one turn of the loop, to take the rest of a burst along
    timer = setTimeout(() => {
      timer = undefined
      void flush()
    }, wait)
  }

  async function flush() {
    const work = pending
    pending = empty()
    flushing = true
    lastFlush = Date.now()
    try {
      await deliver(work)
    } catch (err) {
      log.warn({ err }, 'live flush failed; retrying')
      // keep what could not be sent; newer notes for the same entities merge in
      for (const [k, v] of work.cells) if (!pending.cells.has(k)) pending.cells.set(k, v)
      for (const id of work.releases) pending.releases.add(id)
      for (const id of work.edited) pending.edited.add(id)
      for (const id of work.deployments) pending.deployments.add(id)
      lastFlush = Date.now() + 1000
    } finally {
      flushing = false
    }
    if (pending.cells.size || pending.releases.size || pending.deployments.size) schedule()
  }

  async function deliver(work: Pending) {
    const productRooms = (productId: string) => members(Room.product(productId)) > 0
    const anyProductRoom = [...io.sockets.adapter.rooms.keys()].some((r) =>
      r.startsWith('product:')
    )
    const wantCells =
      work.cells.size > 0 &&
      (members(Room.board) > 0 || [...work.cells.values()].some((c) => productRooms(c.product_id)))
    const wantDeployments = work.deployments.size > 0 && (members(Room.feed) > 0 || anyProductRoom)
    const releaseIds = [...work.releases]
    const detailIds = releaseIds.filter((id) => members(Room.release(id)) > 0)
    const [cells, deployments, summaries, details] = await Promise.all([
      wantCells ? readCells(sql, { pairs: [...work.cells.values()] }) : [],
      wantDeployments ? readDeployments(sql, [...work.deployments]) : [],
      releaseIds.length && members(Room.releases) ? listReleasesById(sql, releaseIds) : [],
      Promise.all(detailIds.map((id) => readRelease(sql, id))),
    ])
    if (cells.length && members(Room.board)) {
      send(Room.board, { type: 'cells', cells: cells })
    }
    if (deployments.length && members(Room.feed)) {
      send(Room.feed, { type: 'deployments', deployments })
    }
    for (const productId of new Set([
      ...cells.map((c) => c.product_id),
      ...deployments.map((d) => d.product_id),
    ])) {
      if (!productRooms(productId)) continue
      const mine = cells.filter((c) => c.product_id === productId)
      if (mine.length) send(Room.product(productId), { type: 'cells', cells: mine })
      const mineDeployments = deployments.filter((d) => d.product_id === productId)
      if (mineDeployments.length) {
        send(Room.product(productId), { type: 'deployments', deployments: mineDeployments })
      }
    }
    if (summaries.length) send(Room.releases, { type: 'releases', releases: summaries })
    const moved = new Set([...work.cells.values()].map((c) => c.product_id))
    for (const release of details) {
      if (!release) continue
      const room = Room.release(release.id)
      const key = versionKey(release)
      if (work.edited.has(release.id) || sentVersions.get(room) !== key) {
        send(room, { type: 'release', release })
        sentVersions.set(room, key)
        continue
      }
      // Only the rows of products whose cells moved: every change since this room's last
      // message is in this flush's notes (a note is published after its commit, and each flush
      // reads after taking the notes before it), so the rows left out are as they were sent.
      const rows = release.progress.rows.filter((r) => moved.has(r.product_id))
      send(room, {
        type: 'release',
        release: { ...release, progress: { ...release.progress, rows } },
        partial: true,
      })
    }
  }

  const subscription = nats.nc.subscribe(names.updateSubject, {
    callback: (err, msg) => {
      if (err) return log.warn({ err }, 'update subscription error')
      const parsed = Update.safeParse(msg.json())
      if (parsed.success) note(parsed.data)
      else log.warn({ issues: parsed.error.issues }, 'ignoring a malformed update note')
    },
  })
  // While NATS was away, notes were lost: nobody can know what changed.
  nats.onReconnect(() => resyncAll('NATS reconnected'))
  void (async () => {
    for await (const s of nats.nc.status()) {
      if (s.type === 'slowConsumer') resyncAll('NATS dropped notes (slow consumer)')
    }
  })()

  return {
    io,
    /** Connected sockets, for /readyz-style introspection and benchmarks. */
    connections: () => io.engine.clientsCount,
    async close() {
      if (timer) clearTimeout(timer)
      subscription.unsubscribe()
      await io.close()
    },
  }
}

function refusal(code: 'unauthorized' | 'forbidden', message: string) {
  return Object.assign(new Error(message), { data: { code, message } })
}
