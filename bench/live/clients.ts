/**
 * One process of `pnpm bench:live`'s Socket.IO clients (forked by bench/live.ts, which talks to it
 * over IPC). Each client is its own WebSocket connection, joins one release room, and notes when it
 * first sees each posted deployment: every posted event names its sequence number in
 * `deployed_by` ("lb<n>"), which the release's progress cells show. Messages are coalesced and
 * complete, so an event can be overtaken in its cell by a later one before a message shows it;
 * the client then has it (its cell is at least that new) when it sees any later event of that
 * cell. Latencies are computed here, against the POST acknowledgement and update-note times the
 * parent sends at the end, into mergeable histograms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { io, type Socket } from 'socket.io-client'

import type { LiveMessage, SubscribeAck } from '@shiplog/contracts'

import { Histogram, type Sparse } from './histogram.ts'

export type ToClients =
  | {
      type: 'connect'
      url: string
      token: string
      room: string
      count: number
      events: number
      /** Event n moves cell n % cells. */
      cells: number
    }
  | { type: 'measure' }
  /** When each event's POST was acknowledged, and when its commit's update note was seen. */
  | { type: 'finish'; acks: number[]; notes: number[] }

export type FromClients =
  | { type: 'connected'; connected: number; failed: number; firstError?: string; ms: number }
  | { type: 'progress'; messages: number; lagP99Ms: number }
  | {
      type: 'result'
      latency: { buckets: Sparse; max: number }
      fromNote: { buckets: Sparse; max: number }
      /** (event, client) pairs seen as such, and seen or overtaken by a later event in its cell. */
      exact: number
      observed: number
      possible: number
      early: number
      messages: number
      gaps: number
      resyncs: number
      messageBytes: number
      /** This process's event-loop delay while measuring: how far behind its sockets it ran. */
      lagP99Ms: number
      lagMaxMs: number
    }

const now = () => performance.timeOrigin + performance.now()
const TAG = /^lb(\d+)$/
const send = (message: FromClients, then?: () => void) =>
  process.send!(message, undefined, {}, () => then?.())

let sockets: Socket[] = []
/** First receipt time of event n by client c, at [c * events + n]; 0 until seen. */
let seen = new Float64Array(0)
let events = 0
let cells = 1
let measuring = false
let messages = 0
let gaps = 0
let resyncs = 0
let messageBytes = 0
const lag = monitorEventLoopDelay({ resolution: 10 })
let progress: NodeJS.Timeout | undefined

function onLive(client: number, lastSeq: { value: number }, message: LiveMessage) {
  const at = now()
  if (message.seq !== lastSeq.value + 1 && lastSeq.value !== 0) gaps += measuring ? 1 : 0
  lastSeq.value = message.seq
  if (!measuring) return
  messages++
  if (message.type === 'resync') resyncs++
  if (message.type !== 'release') return
  if (!messageBytes) messageBytes = Buffer.byteLength(JSON.stringify(message))
  const base = client * events
  for (const row of message.release.progress.rows) {
    for (const cell of row.cells) {
      const n = TAG.exec(cell.deployed_by ?? '')?.[1]
      if (n === undefined || Number(n) >= events) continue
      if (!seen[base + Number(n)]) seen[base + Number(n)] = at
    }
  }
}

async function connectAll(m: Extract<ToClients, { type: 'connect' }>) {
  events = m.events
  cells = m.cells
  seen = new Float64Array(m.count * events)
  const started = now()
  let failed = 0
  let firstError: string | undefined
  // in waves, as browsers arriving would, rather than 500 handshakes at the same instant
  for (let wave = 0; wave < m.count; wave += 50) {
    const batch = Array.from({ length: Math.min(50, m.count - wave) }, async (_, i) => {
      const client = wave + i
      // forceNew: one connection per client (the default would share one between all of them)
      const socket = io(m.url, {
        transports: ['websocket'],
        auth: { token: m.token },
        forceNew: true,
        reconnection: false,
      })
      const lastSeq = { value: 0 }
      socket.on('live', (message: LiveMessage) => onLive(client, lastSeq, message))
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve)
          socket.once('connect_error', reject)
        })
        const ack = await new Promise<SubscribeAck>((resolve) =>
          socket.emit('subscribe', [m.room], resolve)
        )
        if (!ack.ok) throw new Error(ack.error.message)
        lastSeq.value = ack.seqs[m.room] ?? 0
        sockets.push(socket)
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
        socket.disconnect()
      }
    })
    await Promise.all(batch)
  }
  send({
    type: 'connected',
    connected: sockets.length,
    failed,
    ...(firstError ? { firstError } : {}),
    ms: now() - started,
  })
}

function finish(acks: number[], notes: number[]) {
  measuring = false
  const latency = new Histogram()
  const fromNote = new Histogram()
  let exact = 0
  let observed = 0
  let possible = 0
  let early = 0
  const had = new Float64Array(events)
  for (let c = 0; c < sockets.length; c++) {
    // when the client first had event n: it saw n, or a later event of n's cell
    for (let n = events - 1; n >= 0; n--) {
      const own = seen[c * events + n]!
      const later = n + cells < events ? had[n + cells]! : 0
      had[n] = own && later ? Math.min(own, later) : own || later
      if (own) exact++
    }
    for (let n = 0; n < events; n++) {
      const ack = acks[n]
      if (!ack) continue
      possible++
      const at = had[n]!
      if (!at) continue
      observed++
      // a client may see an event before the poster has read its 202: counted as 0 ms
      if (at < ack) early++
      latency.record(Math.max(0, at - ack))
      const note = notes[n]
      if (note) fromNote.record(Math.max(0, at - note))
    }
  }
  for (const socket of sockets) socket.disconnect()
  sockets = []
  send(
    {
      type: 'result',
      latency: latency.sparse(),
      fromNote: fromNote.sparse(),
      exact,
      observed,
      possible,
      early,
      messages,
      gaps,
      resyncs,
      messageBytes,
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
    },
    // only once the result is on its way: disconnecting earlier can drop it
    () => process.disconnect()
  )
  clearInterval(progress)
  lag.disable()
}

process.on('message', (m: ToClients) => {
  if (m.type === 'connect') void connectAll(m)
  else if (m.type === 'measure') {
    measuring = true
    lag.enable()
    progress = setInterval(
      () => send({ type: 'progress', messages, lagP99Ms: lag.percentile(99) / 1e6 }),
      5000
    )
  } else finish(m.acks, m.notes)
})
