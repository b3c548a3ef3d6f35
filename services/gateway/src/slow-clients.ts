/**
 * A live client that stops reading (a tab frozen in the background, a laptop asleep on a bad
 * network) must not make the gateway hold everything sent to it since: Socket.IO never drops
 * for a slow reader. Engine.IO queues a connection's packets while its previous write is still
 * waiting for the kernel; once more than `maxBytes` are queued, the connection is closed at once,
 * as NATS cuts off a slow consumer. The client reconnects and fetches its rooms' snapshots, as it
 * does after any gap, so nothing it shows is lost, only what it could not read anyway.
 */

/** What this needs of an Engine.IO connection (`socket.conn`): two of its public events. */
export interface EngineConnection {
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): unknown
  on(event: 'flush', listener: (packets: Array<{ data?: unknown }>) => void): unknown
  close(discard?: boolean): unknown
}

export function closeWhenBacklogged(
  conn: EngineConnection,
  maxBytes: number,
  onClose: (queuedBytes: number) => void
) {
  let queued = 0
  let checking = false
  let closing = false
  // Packets are counted when created and uncounted when handed to the transport ('flush'), so
  // `queued` is what waits behind a write the client has not taken yet. A packet is created just
  // before Engine.IO tries to flush it, and a write the kernel takes at once completes before
  // the next turn of the loop: judged then, a client that reads is never over the limit, however
  // large one message is.
  conn.on('packetCreate', (packet) => {
    queued += size(packet.data)
    if (queued <= maxBytes || checking || closing) return
    checking = true
    setImmediate(() => {
      checking = false
      if (queued <= maxBytes || closing) return
      closing = true
      onClose(queued)
      // discard: do not wait for the backlog to drain before closing
      conn.close(true)
    })
  })
  conn.on('flush', (packets) => {
    for (const p of packets) queued -= size(p.data)
  })
}

// String length, not UTF-8 bytes: O(1) for a message broadcast to a thousand sockets, and JSON
// is mostly ASCII; binary payloads count their bytes.
function size(data: unknown): number {
  if (typeof data === 'string') return data.length
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength
  return 0
}
