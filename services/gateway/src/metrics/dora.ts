/**
 * DORA metrics from production deployment events (definitions in contracts DORA_DEFINITIONS):
 * deployment frequency, lead time for changes, change failure rate, failed-deployment recovery
 * time. Per product and overall.
 */
import type { DoraFigures } from '@shiplog/contracts'

import { DAY_MS, quantile, seconds } from './stats.ts'

export interface DoraEvent {
  product_id: string
  product_name: string
  status: 'completed' | 'failed'
  at: string
  /** When the deployed change was committed (or its build started), if known. */
  committed_at: string | null
  /** For a failure: the next successful production deployment of the same product, if any. */
  recovered_at: string | null
}

export function doraFigures(events: readonly DoraEvent[], from: string, to: string): DoraFigures {
  const days = Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / DAY_MS))
  const successes = events.filter((e) => e.status === 'completed')
  const failures = events.filter((e) => e.status === 'failed')
  const leadTimes = successes
    .flatMap((e) => (e.committed_at ? [seconds(e.committed_at, e.at)] : []))
    .filter((s) => s >= 0)
  const recoveries = failures.flatMap((e) =>
    e.recovered_at ? [seconds(e.at, e.recovered_at)] : []
  )
  const terminal = successes.length + failures.length
  return {
    deployments: successes.length,
    deployment_days: new Set(successes.map((e) => e.at.slice(0, 10))).size,
    days,
    deployments_per_day: successes.length / days,
    lead_time: {
      median: quantile(leadTimes, 0.5),
      p90: quantile(leadTimes, 0.9),
      samples: leadTimes.length,
    },
    change_failure_rate: terminal ? failures.length / terminal : null,
    failed_deployments: failures.length,
    recovery_time: {
      median: quantile(recoveries, 0.5),
      p90: quantile(recoveries, 0.9),
      recovered: recoveries.length,
      unrecovered: failures.length - recoveries.length,
    },
  }
}

export function doraByProduct(events: readonly DoraEvent[], from: string, to: string) {
  const groups = new Map<string, DoraEvent[]>()
  for (const e of events) groups.set(e.product_id, [...(groups.get(e.product_id) ?? []), e])
  return [...groups.values()]
    .map((list) => ({
      product_id: list[0]!.product_id,
      product_name: list[0]!.product_name,
      ...doraFigures(list, from, to),
    }))
    .sort((a, b) => (a.product_name < b.product_name ? -1 : 1))
}
