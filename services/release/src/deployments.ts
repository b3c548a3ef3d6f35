/**
 * How events move a deployment (one product version in one environment) through its lifecycle.
 *
 * THE ORDERING RULE. Events arrive late, twice and out of order; state must never move backwards.
 * Each event is ranked by (its own time, its status's stage, its stream sequence):
 *  - its own time is when the CD tool says it happened (contracts `eventTime`), not when it arrived;
 *  - at the same instant a later stage wins (pending < started < completed | failed | aborted),
 *    so a `completed` stamped in the same millisecond as its `started` is not undone by it;
 *  - the stream sequence breaks the remaining ties the same way on every replay.
 * A deployment shows the status of its highest-ranked event. The board shows, per product and
 * environment, the deployment whose highest-ranked event is highest (see `recomputeCells`), so an
 * older version's event arriving after a newer one's leaves the newer version in place.
 * The rule is a maximum, so the result is the same whatever order the events are processed in.
 * `started_at` is the earliest start reported (a minimum, equally order-free); descriptive fields
 * (who, links, metadata) come from the highest-ranked event that carries them.
 */
import { eventTime, isTerminal, type DeploymentEvent, type Status } from '@shiplog/contracts'

export interface DeploymentState {
  id: string
  product_id: string
  version_id: string
  environment_id: string
  status: Status
  started_at: string | null
  completed_at: string | null
  last_event_at: string
  last_event_seq: number
  last_event_id: string
  deployed_by: string | null
  deployed_by_email: string | null
  deployed_by_name: string | null
  source_system: string | null
  deploy_url: string | null
  build_url: string | null
  build_number: string | null
  invoke_id: string | null
  extra_metadata: Record<string, unknown> | null
}

export interface SequencedEvent {
  seq: number
  event: DeploymentEvent
}

const STAGE: Record<Status, number> = {
  pending: 0,
  started: 1,
  completed: 2,
  failed: 2,
  aborted: 2,
}

type RankKey = readonly [time: string, stage: number, seq: number]

// ISO strings from toISOString() share one format, so they compare as text.
function compareRank(a: RankKey, b: RankKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  if (a[1] !== b[1]) return a[1] - b[1]
  return a[2] - b[2]
}

const rankOfEvent = ({ seq, event }: SequencedEvent): RankKey => [
  eventTime(event),
  STAGE[event.status],
  seq,
]
const rankOfState = (s: DeploymentState): RankKey => [
  s.last_event_at,
  STAGE[s.status],
  s.last_event_seq,
]

const minTime = (a: string | null, b: string | null | undefined) =>
  !a ? (b ?? null) : !b || a <= b ? a : b

/** Applies one event to a deployment's state (or starts it), following the ordering rule. */
export function applyEvent(
  state: DeploymentState | undefined,
  sequenced: SequencedEvent,
  ids: { id: string; product_id: string; version_id: string; environment_id: string }
): DeploymentState {
  const { event, seq } = sequenced
  const time = eventTime(event)
  const startedAt = event.started_at ?? (isTerminal(event.status) ? null : time)
  if (!state || compareRank(rankOfEvent(sequenced), rankOfState(state)) > 0) {
    return {
      ...ids,
      status: event.status,
      started_at: minTime(state?.started_at ?? null, startedAt),
      // an attempt that has not finished has no completion time (a redeploy clears the old one)
      completed_at: isTerminal(event.status) ? time : null,
      last_event_at: time,
      last_event_seq: seq,
      last_event_id: event.id,
      deployed_by: event.deployed_by ?? state?.deployed_by ?? null,
      deployed_by_email: event.deployed_by_email ?? state?.deployed_by_email ?? null,
      deployed_by_name: event.deployed_by_name ?? state?.deployed_by_name ?? null,
      source_system: event.source_system ?? state?.source_system ?? null,
      deploy_url: event.deploy_url ?? state?.deploy_url ?? null,
      build_url: event.build_url ?? state?.build_url ?? null,
      build_number: event.build_number ?? state?.build_number ?? null,
      invoke_id: event.invoke_id ?? state?.invoke_id ?? null,
      extra_metadata: event.extra_metadata ?? state?.extra_metadata ?? null,
    }
  }
  // An older event: it cannot change the status, but may tell us what we did not know yet.
  return {
    ...state,
    started_at: minTime(state.started_at, startedAt),
    deployed_by: state.deployed_by ?? event.deployed_by ?? null,
    deployed_by_email: state.deployed_by_email ?? event.deployed_by_email ?? null,
    deployed_by_name: state.deployed_by_name ?? event.deployed_by_name ?? null,
    source_system: state.source_system ?? event.source_system ?? null,
    deploy_url: state.deploy_url ?? event.deploy_url ?? null,
    build_url: state.build_url ?? event.build_url ?? null,
    build_number: state.build_number ?? event.build_number ?? null,
    invoke_id: state.invoke_id ?? event.invoke_id ?? null,
  }
}
