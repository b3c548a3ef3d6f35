/**
 * A TCP proxy a test can cut: `down()` drops every connection and refuses new ones, as a
 * stopped server would; `up()` lets them through again. Used to take Postgres or NATS away from
 * one service in one test without disturbing the others that share the server.
 */
import net from 'node:net'

export class TcpProxy {
  readonly #target: { host: string; port: number }
  readonly #sockets = new Set<net.Socket>()
  #server: net.Server | undefined
  #down = false
  port = 0

  constructor(target: { host: string; port: number }) {
    this.#target = target
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target)
    await proxy.#listen(0)
    return proxy
  }

  /** The target URL with its host and port pointed at the proxy. */
  rewrite(url: string): string {
    const u = new URL(url)
    u.hostname = '127.0.0.1'
    u.port = String(this.port)
    return u.toString()
  }

  down(): void {
    this.#down = true
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }

  up(): void {
    this.#down = false
  }

  async close(): Promise<void> {
    this.down()
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve()
    )
  }

  #listen(port: number): Promise<void> {
    const server = net.createServer((client) => {
      if (this.#down) {
        client.destroy()
        return
      }
      const upstream = net.connect(this.#target.port, this.#target.host)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    this.#server = server
    return new Promise((resolve) => {
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port
        resolve()
      })
    })
  }
}

export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url)
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port) || (u.protocol.startsWith('postgres') ? 5432 : 4222),
  }
}
