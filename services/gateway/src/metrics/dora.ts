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

/**
 * What the figures are made of: counts, and the quantiles of each duration. The gateway gets them
 * from Postgres (read/intelligence.ts, readDora: percentile_cont interpolates as `quantile` does);
 * `doraFigures` counts them from events.
 */
export interface DoraCounts {
  successes: number
  failures: number
  /** Calendar days (UTC) with at least one success. */
  deployment_days: number
  /** Seconds from commit to successful deployment, where known and not negative. */
  lead_time: { median: number | null; p90: number | null; samples: number }
  /** Seconds from a failure to the recovering success, for the failures recovered. */
  recovery_time: { median: number | null; p90: number | null; recovered: number }
}

export function doraFigures(events: readonly DoraEvent[], from: string, to: string): DoraFigures {
  const successes = events.filter((e) => e.status === 'completed')
  const failures = events.filter((e) => e.status === 'failed')
  const leadTimes = successes
    .flatMap((e) => (e.committed_at ? [seconds(e.committed_at, e.at)] : []))
    .filter((s) => s >= 0)
  const recoveries = failures.flatMap((e) =>
    e.recovered_at ? [seconds(e.at, e.recovered_at)] : []
  )
  return figuresFromCounts(
    {
      successes: successes.length,
      failures: failures.length,
      deployment_days: new Set(successes.map((e) => e.at.slice(0, 10))).size,
      lead_time: {
        median: quantile(leadTimes, 0.5),
        p90: quantile(leadTimes, 0.9),
        samples: leadTimes.length,
      },
      recovery_time: {
        median: quantile(recoveries, 0.5),
        p90: quantile(recoveries, 0.9),
        recovered: recoveries.length,
      },
    },
    from,
    to
  )
}

export function figuresFromCounts(c: DoraCounts, from: string, to: string): DoraFigures {
  const days = Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / DAY_MS))
  const terminal = c.successes + c.failures
  return {
    deployments: c.successes,
    deployment_days: c.deployment_days,
    days,
    deployments_per_day: c.successes / days,
    lead_time: { ...c.lead_time },
    change_failure_rate: terminal ? c.failures / terminal : null,
    failed_deployments: c.failures,
    recovery_time: {
      median: c.recovery_time.median,
      p90: c.recovery_time.p90,
      recovered: c.recovery_time.recovered,
      unrecovered: c.failures - c.recovery_time.recovered,
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
