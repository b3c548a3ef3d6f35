/**
 * Every NATS name Shiplog uses: streams, subjects, KV buckets and request-reply endpoints.
 * All derive from one namespace, so tests (and several Shiplog installs on one NATS) stay apart.
 */

export const DEFAULT_NAMESPACE = 'shiplog'
export const NAMESPACE_RE = /^[a-z][a-z0-9_]{0,31}$/

export function natsNames(namespace: string = DEFAULT_NAMESPACE) {
  if (!NAMESPACE_RE.test(namespace)) {
    throw new Error(`invalid NATS namespace "${namespace}" (want ${String(NAMESPACE_RE)})`)
  }
  const upper = namespace.toUpperCase()
  return {
    namespace,
    /** Work queue of reported events; ingest publishes, the release service consumes. */
    eventStream: `${upper}_EVENTS`,
    eventSubjects: `${namespace}.events.>`,
    eventSubject: (kind: 'deployment' | 'build') => `${namespace}.events.${kind}`,
    /** The release service's durable pull consumer on the event stream. */
    eventConsumer: 'release',
    /**
     * Notes of committed changes, for gateways to fan out to browsers. Core NATS (at most once):
     * a publisher or subscriber that may have missed notes asks every client to resync.
     */
    updateSubject: `${namespace}.updates`,
    /** Request-reply endpoints of the release service (the single writer of release data). */
    rpcSubject: (operation: string) => `${namespace}.rpc.${operation}`,
    rpcQueue: 'release',
    /** API tokens (hashes only), watched by ingest and gateway so auth never needs Postgres. */
    tokenBucket: `${namespace}_tokens`,
    /** Which SHA each version was built from, claimed at ingest so a conflict is answered 409. */
    versionBucket: `${namespace}_versions`,
  } as const
}
export type NatsNames = ReturnType<typeof natsNames>
