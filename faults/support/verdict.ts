/**
 * The checker after a fault: holds Postgres to the ledger. Every event answered 2xx is stored
 * exactly once and unaltered; nothing is stored that was never sent; the board and every
 * release's progress equal a recomputation from the stored events (test/checker.ts); nothing was
 * dead-lettered that should not have been; and (scenario.ts adds it) every viewer's live view
 * converged to the API and the recomputation. Each list holds the ledger keys of the offending
 * events, so a failure names them.
 */
import { normalizeStatus } from '@shiplog/contracts'

import { checkConsistency } from '../../test/checker.ts'
import { acked, type Ledger, type Sent } from './ledger.ts'
import type { System } from './system.ts'
import type { ViewCheck } from './viewers.ts'

export interface Verdict {
  fault: string
  sent: number
  acknowledged: number
  /** Events of this phase found in Postgres (acknowledged or not: a 503'd one may be stored). */
  stored: number
  /** Acknowledged, and not in Postgres (nor dead-lettered as planted). */
  lost: string[]
  /** Stored more than once. */
  duplicates: string[]
  /** Stored with another id or other content than was sent, or never sent at all. */
  altered: string[]
  /** Board cells and releases whose progress differ from the recomputation. */
  mismatches: string[]
  /** Releases whose progress was recomputed and compared. */
  releases: number
  /** What the Socket.IO viewers showed once everything had settled (none: not checked). */
  views?: ViewCheck
  /** Dead letters that appeared during the phase. */
  deadLettered: number
  /** Dead letters that were not planted poison. */
  unexpectedDeadLetters: number
  recoveryMs: number | undefined
}

interface StoredRow {
  id: string
  probe: string
  product_name: string
  version: string
  environment_name: string
  status: string
}

export async function deadLetterCount(system: System): Promise<number> {
  const [row] = await system.sql<{ n: number }[]>`select count(*)::int as n from dead_letter`
  return row!.n
}

export async function judge(
  system: System,
  ledger: Ledger,
  phase: string,
  { deadLettersBefore, recoveryMs }: { deadLettersBefore: number; recoveryMs?: number | undefined }
): Promise<Verdict> {
  const sent = ledger.phase(phase)
  const prefix = `${ledger.run}.${phase}.`
  const rows = await system.sql<StoredRow[]>`
    select id, payload->'extra_metadata'->>'probe' as probe, payload->>'product_name' as product_name,
           payload->>'version' as version, payload->>'environment_name' as environment_name,
           payload->>'status' as status
    from event where starts_with(payload->'extra_metadata'->>'probe', ${prefix})`
  const byKey = new Map<string, StoredRow[]>()
  for (const row of rows) byKey.set(row.probe, [...(byKey.get(row.probe) ?? []), row])

  const planted = sent.filter((s) => s.expect === 'dead-letter')
  const deadKeys = await deadLettered(system, planted)
  const lost = sent
    .filter(acked)
    .filter((s) => (s.expect === 'stored' ? !byKey.has(s.key) : !deadKeys.has(s.key)))
    .map((s) => s.key)
  const duplicates = [...byKey].filter(([, r]) => r.length > 1).map(([k]) => k)
  const altered = rows.filter((row) => !matches(ledger.get(row.probe), row)).map((r) => r.probe)
  const consistency = await checkConsistency(system.sql)
  const [releases] = await system.sql<{ n: number }[]>`select count(*)::int as n from release`
  const deadNow = await deadLetterCount(system)
  return {
    fault: phase,
    sent: sent.length,
    acknowledged: sent.filter(acked).length,
    stored: byKey.size,
    lost,
    duplicates: [
      ...duplicates,
      ...(consistency.duplicateEvents
        ? [`${consistency.duplicateEvents} duplicate event ids`]
        : []),
    ],
    altered,
    mismatches: consistency.mismatches,
    releases: releases!.n,
    deadLettered: deadNow - deadLettersBefore,
    unexpectedDeadLetters: deadNow - deadLettersBefore - deadKeys.size,
    recoveryMs,
  }
}

/** The stored event is the one sent: same id (when we chose it), same names, same status. */
function matches(sent: Sent | undefined, row: StoredRow): boolean {
  if (!sent) return false
  if (sent.id !== undefined && sent.id !== row.id) return false
  return (
    row.product_name === sent.input.product_name.trim() &&
    row.version === sent.input.version.trim() &&
    row.environment_name === sent.input.environment_name.trim() &&
    row.status === normalizeStatus(sent.input.status)
  )
}

async function deadLettered(system: System, planted: Sent[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (const s of planted) {
    const [row] = await system.sql<{ n: number }[]>`
      select count(*)::int as n from dead_letter where position(convert_to(${s.key}, 'UTF8') in data) > 0`
    if (row!.n > 0) found.add(s.key)
  }
  return found
}

/**
 * Passes when nothing was lost, doubled, altered or mis-boarded, no good event died, and every
 * viewer converged.
 */
export function problems(v: Verdict): string[] {
  const out: string[] = []
  if (v.lost.length) {
    out.push(`lost ${v.lost.length} acknowledged events: ${v.lost.slice(0, 5).join(', ')}`)
  }
  if (v.duplicates.length) out.push(`duplicates: ${v.duplicates.slice(0, 5).join(', ')}`)
  if (v.altered.length) out.push(`altered or phantom events: ${v.altered.slice(0, 5).join(', ')}`)
  if (v.mismatches.length) {
    out.push(`board or release mismatches: ${v.mismatches.slice(0, 3).join('; ')}`)
  }
  if (v.views?.mismatches.length) {
    out.push(
      `${v.views.viewers - v.views.converged} of ${v.views.viewers} viewers did not converge: ${v.views.mismatches.slice(0, 3).join('; ')}`
    )
  }
  if (v.unexpectedDeadLetters) out.push(`${v.unexpectedDeadLetters} unexpected dead letters`)
  return out
}
