/**
 * From a validated request to the event ingest publishes: give it an identity, a receipt time
 * and its reporter, and fold the Versioner aliases into one field each.
 */
import {
  eventIdFromContent,
  newId,
  type BuildEvent,
  type BuildEventInput,
  type DeploymentEvent,
  type DeploymentEventInput,
  type ShiplogEvent,
} from '@shiplog/contracts'

import { AppError } from '@shiplog/kit'

export interface Receipt {
  receivedAt: string
  reporter: string | null
  /** The `Idempotency-Key` header, if sent. */
  idempotencyKey: string | undefined
}

/**
 * The event's id is the client's key (`event_id` or `Idempotency-Key`). Without one, a report
 * that names its CI run (`invoke_id`) is identified by its content, so the CLI's own retries of
 * one report are one event; anything else gets a fresh id.
 */
function identify(
  kind: string,
  input: { event_id?: string | undefined; invoke_id?: string | undefined },
  receipt: Receipt
): string {
  const { event_id, ...content } = input
  if (event_id && receipt.idempotencyKey && event_id !== receipt.idempotencyKey) {
    throw new AppError(
      'validation_failed',
      'event_id and the Idempotency-Key header differ; send one of them',
      [{ field: 'event_id', message: 'differs from the Idempotency-Key header' }]
    )
  }
  const key = event_id ?? receipt.idempotencyKey
  if (key) return key
  if (input.invoke_id) return eventIdFromContent(JSON.stringify([kind, content]))
  return newId()
}

export function deploymentEvent(input: DeploymentEventInput, receipt: Receipt): DeploymentEvent {
  const { event_id: _key, skip_preflight_checks: _skip, ...fields } = input
  return {
    kind: 'deployment',
    ...fields,
    id: identify('deployment', input, receipt),
    received_at: receipt.receivedAt,
    reporter: receipt.reporter,
  }
}

export function buildEvent(input: BuildEventInput, receipt: Receipt): BuildEvent {
  const { event_id: _key, built_at, ...fields } = input
  const completed_at = fields.completed_at ?? built_at
  return {
    kind: 'build',
    ...fields,
    ...(completed_at ? { completed_at } : {}),
    id: identify('build', input, receipt),
    received_at: receipt.receivedAt,
    reporter: receipt.reporter,
  }
}

export function normalize(
  kind: ShiplogEvent['kind'],
  input: DeploymentEventInput | BuildEventInput,
  receipt: Receipt
): ShiplogEvent {
  return kind === 'deployment'
    ? deploymentEvent(input as DeploymentEventInput, receipt)
    : buildEvent(input, receipt)
}
