/**
 * The Socket.IO connection to the gateway: WebSocket only (gateways behind a load balancer share
 * no sessions), the token in the handshake, and its state for the indicator. What arrives goes to
 * the sync engine; every (re)connect makes it subscribe and refetch.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '@shiplog/contracts'
import { io, type Socket } from 'socket.io-client'

import type { Session } from '../session.svelte.ts'

import type { LiveSync } from './sync.ts'

export type ConnectionState = 'connecting' | 'live' | 'offline' | 'refused'

export class Connection {
  state = $state<ConnectionState>('connecting')
  /** Why it is not live, in words. */
  reason = $state('')
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>

  constructor(sync: LiveSync, session: Session) {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      transports: ['websocket'],
      // read at every attempt, so a token pasted meanwhile is used on the next one
      auth: (cb) => cb(session.token ? { token: session.token } : {}),
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
    })
    this.#socket = socket
    socket.on('connect', () => {
      this.state = 'live'
      this.reason = ''
      sync.connected(socket)
    })
    socket.on('disconnect', (reason) => {
      this.state = 'offline'
      this.reason = reason === 'io server disconnect' ? 'the server closed the connection' : reason
      sync.disconnected()
      // the server hung up on purpose (e.g. a token revoked): try again, it may let us back in
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2000)
    })
    socket.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      if (socket.active) {
        // a transport failure: Socket.IO retries by itself
        this.state = 'offline'
        this.reason = err.message
        return
      }
      // refused by the server's middleware: it will not retry by itself
      this.state = 'refused'
      this.reason = err.data?.message ?? err.message
      if (err.data?.code === 'unauthorized' || err.data?.code === 'forbidden') {
        session.refused(`The live connection was refused: ${this.reason}`)
      } else {
        setTimeout(() => socket.connect(), 5000)
      }
    })
    socket.on('live', (message) => sync.message(message))
  }

  /** Connects again from scratch (a new token). */
  reconnect(): void {
    this.state = 'connecting'
    this.#socket.disconnect()
    this.#socket.connect()
  }
}
