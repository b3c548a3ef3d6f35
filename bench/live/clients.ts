/**
 * One process of `pnpm bench:live`'s Socket.IO clients (forked by bench/live.ts, which talks to it
 * over IPC). Each client is its own WebSocket connection, joins one release room, and notes when it
 * first sees each posted deployment: every posted event names its sequence number in
 * `deployed_by` ("lb<n>"), which the release's progress cells show. Messages are coalesced (each
 * shows the cells that moved as they are), so an event can be overtaken in its cell by a later
 * one before a message shows it;
 * the client then has it (its cell is at least that new) when it sees any later event of that
 * cell. Latencies are computed here, against the POST acknowledgement and update-note times the
 * parent sends at the end, into mergeable histograms.
 *
 * Two client implementations, the same observations. The default, `wire`, speaks Engine.IO v4 /
 * Socket.IO v5 itself over the `ws` package: the handshake, the CONNECT with the token, the
 * subscribe event and its ack, pong for every ping; and of each live message it reads only the
 * sequence number and type at its start and, with one regular expression over the frame's text,
 * every `"deployed_by":"lb<n>"` in it, instead of parsing the message. Each real viewer decodes
 * its messages with its own browser's CPU; here hundreds of viewers share a process, and the
 * machine's cores with Shiplog, and the library client's full decode (~80 µs a message) made the
 * generator the bottleneck: on a 2-core box the client processes fell seconds behind their
 * sockets and the latencies measured them, not Shiplog. `--client socketio` uses the real
 * `socket.io-client` library instead (one `io()` per client, messages decoded in full), to check
 * the wire client against it or to measure what the library costs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { io } from 'socket.io-client'
import WebSocket from 'ws'

import type { LiveMessage, SubscribeAck } from '@shiplog/contracts'

import { Histogram, type Sparse } from './histogram.ts'

/** `wire`: Engine.IO / Socket.IO frames read directly over `ws`; `socketio`: the library. */
export type ClientKind = 'wire' | 'socketio'

export type ToClients =
  | {
      type: 'connect'
      client: ClientKind
      /** The gateway's origin (http://host:port). */
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
/** Every posted event a release frame shows (a full scan leaves `lastIndex` back at 0). */
const TAGS = /"deployed_by":"lb(\d+)"/g
/** A live frame's start: the gateway writes room, seq and type first. */
const LIVE = '42["live",'
const HEAD = /^42\["live",\{"room":"[^"]*","seq":(\d+),"type":"(\w+)"/
const send = (message: FromClients, then?: () => void) =>
  process.send!(message, undefined, {}, () => then?.())

type Connect = Extract<ToClients, { type: 'connect' }>
/** Closes one connected and subscribed client. */
type Close = () => void

/** Connected clients, with their number (the index of their events in `seen`). */
let sockets: Array<{ client: number; close: Close }> = []
/** First receipt time of event n by client c, at [c * events + n]; 0 until seen. */
let seen = new Float64Array(0)
let events = 0
let cells = 1
let measuring = false
let messages = 0
let gaps = 0
let resyncs = 0
/** Bytes and number of the release messages measured (their mean is reported). */
let releaseBytes = 0
let releaseMessages = 0
const lag = monitorEventLoopDelay({ resolution: 10 })
let progress: NodeJS.Timeout | undefined
/** A live frame did not start as HEAD expects (it was then parsed). */
let unexpected = false

/** Counts a live message; true when it is a release message whose events are to be noted. */
function counted(lastSeq: { value: number }, seq: number, type: string) {
  if (seq !== lastSeq.value + 1 && lastSeq.value !== 0) gaps += measuring ? 1 : 0
  lastSeq.value = seq
  if (!measuring) return false
  messages++
  if (type === 'resync') resyncs++
  return type === 'release'
}

function saw(client: number, n: number, at: number) {
  if (n >= events) return
  if (!seen[client * events + n]) seen[client * events + n] = at
}

/** A message as decoded by socket.io-client. */
function onLive(client: number, lastSeq: { value: number }, message: LiveMessage) {
  const at = now()
  if (!counted(lastSeq, message.seq, message.type) || message.type !== 'release') return
  releaseBytes += Buffer.byteLength(JSON.stringify(message))
  releaseMessages++
  for (const row of message.release.progress.rows) {
    for (const cell of row.cells) {
      const n = TAG.exec(cell.deployed_by ?? '')?.[1]
      if (n !== undefined) saw(client, Number(n), at)
    }
  }
}

/** A live frame (`42["live",{…}]`) as read by the wire client, without parsing it. */
function onLiveFrame(client: number, lastSeq: { value: number }, frame: string, bytes: number) {
  const at = now()
  const head = HEAD.exec(frame)
  let seq: number
  let type: string
  if (head) {
    seq = Number(head[1])
    type = head[2]!
  } else {
    // not in the expected order: read it in full rather than miscount, and say so (once)
    if (!unexpected) {
      unexpected = true
      console.error(`bench:live: a live message not as expected: ${frame.slice(0, 120)}`)
    }
    const message = (JSON.parse(frame.slice(2)) as [string, LiveMessage])[1]
    seq = message.seq
    type = message.type
  }
  if (!counted(lastSeq, seq, type) || type !== 'release') return
  // the message's own JSON, as the library client counts it: the frame less `42["live",` and `]`
  releaseBytes += bytes - LIVE.length - 1
  releaseMessages++
  for (let m = TAGS.exec(frame); m; m = TAGS.exec(frame)) saw(client, Number(m[1]), at)
}

/** One client with socket.io-client, connected and subscribed. */
async function connectSocketIo(m: Connect, client: number): Promise<Close> {
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
    return () => socket.disconnect()
  } catch (err) {
    socket.disconnect()
    throw err
  }
}

/**
 * One client speaking Engine.IO v4 / Socket.IO v5 over `ws`, connected and subscribed. Packets,
 * one per WebSocket frame: Engine.IO `0` open, `2` ping (answered `3`), `4` message, whose first
 * character is the Socket.IO type: `0` CONNECT (sent with the auth, answered with the socket's
 * sid), `4` CONNECT_ERROR, `2` EVENT (`420[…]` with ack id 0), `3` ACK (`430[…]`).
 */
function connectWire(m: Connect, client: number): Promise<Close> {
  const url = new URL('/socket.io/?EIO=4&transport=websocket', m.url)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  // the gateway turns permessage-deflate off (Socket.IO's default), so nothing to offer
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const lastSeq = { value: 0 }
  return new Promise<Close>((resolve, reject) => {
    let settled = false
    const fail = (message: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(message))
      ws.terminate()
    }
    // socket.io-client's default connect timeout
    const timer = setTimeout(() => fail('timeout'), 20_000)
    // once subscribed, a closed connection is just closed (the library client does not reconnect)
    ws.on('error', (err) => fail(err.message))
    ws.on('close', (code) => fail(`closed (${code}) before subscribing`))
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const buffer = data as Buffer
      const frame = buffer.toString()
      if (frame.startsWith(LIVE)) return onLiveFrame(client, lastSeq, frame, buffer.length)
      if (frame === '2') return ws.send('3')
      if (frame.startsWith('0')) return ws.send(`40${JSON.stringify({ token: m.token })}`)
      if (frame.startsWith('40')) return ws.send(`420${JSON.stringify(['subscribe', [m.room]])}`)
      if (frame.startsWith('44')) {
        const error = JSON.parse(frame.slice(2)) as { message: string }
        return fail(error.message)
      }
      if (frame.startsWith('430')) {
        const [ack] = JSON.parse(frame.slice(3)) as [SubscribeAck]
        if (!ack.ok) return fail(ack.error.message)
        lastSeq.value = ack.seqs[m.room] ?? 0
        settled = true
        clearTimeout(timer)
        resolve(() => ws.close())
      }
    })
  })
}

async function connectAll(m: Connect) {
  events = m.events
  cells = m.cells
  seen = new Float64Array(m.count * events)
  const connect = m.client === 'socketio' ? connectSocketIo : connectWire
  const started = now()
  let failed = 0
  let firstError: string | undefined
  // in waves, as browsers arriving would, rather than 500 handshakes at the same instant
  for (let wave = 0; wave < m.count; wave += 50) {
    const batch = Array.from({ length: Math.min(50, m.count - wave) }, async (_, i) => {
      try {
        sockets.push({ client: wave + i, close: await connect(m, wave + i) })
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
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
  for (const { client: c } of sockets) {
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
  for (const { close } of sockets) close()
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
      messageBytes: releaseBytes / Math.max(1, releaseMessages),
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
