/**
 * Asks the release service, the single writer of release data, to make a change
 * (contracts `RpcRequests`). Its refusals come back as AppErrors with the rules' codes.
 */
import { RpcReply, type NatsNames, type RpcOperation, type RpcRequest } from '@shiplog/contracts'
import { AppError, type Logger, type Nats } from '@shiplog/kit'

export type ReleaseRpc = <O extends RpcOperation>(
  operation: O,
  request: RpcRequest<O>
) => Promise<string>

export function createReleaseRpc(
  nats: Nats,
  names: NatsNames,
  log: Logger,
  timeoutMs = 10_000
): ReleaseRpc {
  const unavailable = () =>
    new AppError('unavailable', 'the release service is not answering; retry later', undefined, {
      'Retry-After': '5',
    })
  return async (operation, request) => {
    if (!nats.isConnected()) throw unavailable()
    let reply: RpcReply
    try {
      const msg = await nats.nc.request(names.rpcSubject(operation), JSON.stringify(request), {
        timeout: timeoutMs,
      })
      reply = RpcReply.parse(msg.json())
    } catch (err) {
      log.warn({ err, operation }, 'release service request failed')
      throw unavailable()
    }
    if (!reply.ok) throw new AppError(reply.error.code, reply.error.message, reply.error.details)
    return reply.id
  }
}
