/**
 * The Socket.IO probe's client, in a process of its own (forked by bench/probes.ts), as a browser
 * is: the load generator's busy event loop must not delay its receipts, nor its receipts the
 * load. One socket.io-client joins the `board` room, and the time each board cell arrives with
 * a benchmark event as its current deployment's newest event (`current.last_event_id`) is noted.
 *
 * At the end the parent sends the sampled events with their POSTs' due times; an event counts as
 * seen when a message shows it in its cell, or shows a later event of that cell (messages are
 * coalesced and complete: the later one can overtake it before a flush, and the cell is then at
 * least that new). Times are performance.timeOrigin + performance.now() in both processes.
 */
import { environmentId, productId, type LiveMessage, type SubscribeAck } from '@shiplog/contracts'
import { io } from 'socket.io-client'

import { cellOf, eventIndex } from './events.ts'

export type ToProbe =
  | { type: 'connect'; url: string; token: string; run: string }
  | { type: 'collect'; tracked: Array<[index: number, dueAt: number]>; graceMs: number }

export type FromProbe =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | {
      type: 'result'
      latencies: number[]
      /** Seen as themselves (not overtaken in their cell by a later event first). */
      exact: number
      missed: number
      messages: number
      gaps: number
      resyncs: number
    }

const now = () => performance.timeOrigin + performance.now()
const send = (m: FromProbe, then?: () => void) => process.send!(m, undefined, {}, () => then?.())

/** Per cell (`product/environment`), each benchmark event first shown there, in arrival order. */
const receipts = new Map<string, Array<[index: number, at: number]>>()
let run = ''
let messages = 0
let gaps = 0
let resyncs = 0
let lastSeq = 0

function onLive(message: LiveMessage) {
  const at = now()
  messages++
  if (lastSeq && message.seq > lastSeq + 1) gaps++
  lastSeq = Math.max(lastSeq, message.seq)
  if (message.type === 'resync') resyncs++
  if (message.type !== 'cells') return
  for (const cell of message.cells) {
    const index = eventIndex(run, cell.current.last_event_id)
    if (index === undefined) continue
    const key = `${cell.product_id}/${cell.environment_id}`
    const list = receipts.get(key) ?? []
    if (list.at(-1)?.[0] !== index) list.push([index, at])
    receipts.set(key, list)
  }
}

const keyOf = (index: number) => {
  const { product_name, environment_name } = cellOf(index)
  return `${productId(product_name)}/${environmentId(environment_name)}`
}

/** When the client first had event `index`: it, or a later event of its cell, shown. */
function seenAt(index: number): { at: number; exact: boolean } | undefined {
  for (const [shown, at] of receipts.get(keyOf(index)) ?? []) {
    if (shown >= index) return { at, exact: shown === index }
  }
  return undefined
}

async function collect(tracked: Array<[number, number]>, graceMs: number) {
  // give the last events of the load their way through the pipeline and one more flush
  const deadline = now() + graceMs
  while (now() < deadline && tracked.some(([i]) => !seenAt(i))) {
    await new Promise((r) => setTimeout(r, 50))
  }
  const latencies: number[] = []
  let exact = 0
  let missed = 0
  for (const [index, dueAt] of tracked) {
    const seen = seenAt(index)
    if (!seen) {
      missed++
      continue
    }
    latencies.push(seen.at - dueAt)
    if (seen.exact) exact++
  }
  return { latencies, exact, missed }
}

process.on('message', (m: ToProbe) => {
  if (m.type === 'connect') {
    run = m.run
    const socket = io(m.url, {
      transports: ['websocket'],
      auth: { token: m.token },
      forceNew: true,
      reconnection: false,
    })
    socket.on('live', onLive)
    socket.once('connect_error', (err) => send({ type: 'failed', error: err.message }))
    socket.once('connect', () => {
      socket.emit('subscribe', ['board'], (ack: SubscribeAck) => {
        if (!ack.ok) return send({ type: 'failed', error: ack.error.message })
        lastSeq = ack.seqs.board ?? 0
        send({ type: 'ready' })
      })
    })
    process.once('disconnect', () => socket.disconnect())
  } else {
    void collect(m.tracked, m.graceMs).then((r) =>
      send({ type: 'result', ...r, messages, gaps, resyncs }, () => process.disconnect())
    )
  }
})
