/**
 * Tells the gateways what each commit changed (contracts `Update`), over core NATS. Core NATS is
 * at most once, so whenever notes may have been lost — this process just started (it may have
 * died between a commit and its note) or its NATS connection came back — it asks every client
 * to resync from a snapshot.
 */
import type { NatsNames, Update } from '@shiplog/contracts'
import type { Logger, Nats } from '@shiplog/kit'

export type UpdateNote = Partial<Update>

export function createUpdatePublisher(nats: Nats, names: NatsNames, log: Logger) {
  function publish(note: UpdateNote) {
    const update: Update = {
      cells: note.cells ?? [],
      deployments: note.deployments ?? [],
      releases: note.releases ?? [],
      events: note.events ?? [],
      ...(note.resync ? { resync: true } : {}),
    }
    if (
      !update.resync &&
      !update.cells.length &&
      !update.releases.length &&
      !update.deployments.length
    ) {
      return
    }
    try {
      nats.nc.publish(names.updateSubject, JSON.stringify(update))
    } catch (err) {
      log.warn({ err }, 'could not publish an update; clients will resync')
    }
  }
  const resync = () => publish({ resync: true })
  nats.onReconnect(resync)
  return { publish, resync }
}
export type UpdatePublisher = ReturnType<typeof createUpdatePublisher>
