/**
 * One process of `pnpm bench:live`'s Socket.IO clients (forked by bench/live.ts, which talks to it
 * over IPC). Each client is its own WebSocket connection, joins one release room, and notes when it
 * first sees each posted deployment: every posted event names its sequence number in
 * `deployed_by` ("lb<n>"), which the release's progress cells show. Latencies are computed here,
 * against the POST acknowledgement and update-note times the parent sends at the end, into
 * mergeable histograms.
 */
import { io, type Socket } from 'socket.io-client'

import type { LiveMessage, SubscribeAck } from '@shiplog/contracts'

import { Histogram, type Sparse } from './histogram.ts'

export type ToClients =
  | { type: 'connect'; url: string; token: string; room: string; count: number; events: number }
  | { type: 'measure' }
  /** When each event's POST was acknowledged, and when its commit's update note was seen. */
  | { type: 'finish'; acks: number[]; notes: number[] }

export type FromClients =
  | { type: 'connected'; connected: number; failed: number; firstError?: string; ms: number }
  | {
      type: 'result'
      latency: { buckets: Sparse; max: number }
      fromNote: { buckets: Sparse; max: number }
      observed: number
      possible: number
      early: number
      messages: number
      gaps: number
      resyncs: number
      messageBytes: number
    }

const now = () => performance.timeOrigin + performance.now()
const TAG = /^lb(\d+)$/
const send = (message: FromClients) => process.send!(message)

let sockets: Socket[] = []
/** First receipt time of event n by client c, at [c * events + n]; 0 until seen. */
let seen = new Float64Array(0)
let events = 0
let measuring = false
let messages = 0
let gaps = 0
let resyncs = 0
let messageBytes = 0

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
  let observed = 0
  let possible = 0
  let early = 0
  for (let c = 0; c < sockets.length; c++) {
    for (let n = 0; n < events; n++) {
      const ack = acks[n]
      if (!ack) continue
      possible++
      const at = seen[c * events + n]!
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
  send({
    type: 'result',
    latency: latency.sparse(),
    fromNote: fromNote.sparse(),
    observed,
    possible,
    early,
    messages,
    gaps,
    resyncs,
    messageBytes,
  })
  process.disconnect()
}

process.on('message', (m: ToClients) => {
  if (m.type === 'connect') void connectAll(m)
  else if (m.type === 'measure') measuring = true
  else finish(m.acks, m.notes)
})
