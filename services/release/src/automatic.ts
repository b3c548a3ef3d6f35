/**
 * Automatic releases: when a product's semantic version is deployed successfully for the first
 * time to a production-type environment, Shiplog creates a release for it (named
 * "<product> <version>", dated by that deployment). Not for non-semver versions, not for
 * products or environments whose names mark them as non-production, and never for backfilled
 * events: an old version is not a new release. Runs in the transaction that records the events.
 */
import { SYSTEM_ACTOR, isBackfill, isExcluded, isSemver, newId } from '@shiplog/contracts'

import type { Db } from './db.ts'
import type { CompletedDeployment } from './record.ts'
import { readSettings } from './settings.ts'

/** Creates the releases these deployments call for; returns their ids. */
export async function detectReleases(
  tx: Db,
  completed: readonly CompletedDeployment[]
): Promise<string[]> {
  const semver = completed.filter((d) => isSemver(d.version))
  if (!semver.length) return []
  const candidates = [...new Set(semver.map((d) => d.environment_id))]
  const [settings, productionRows] = await Promise.all([
    readSettings(tx),
    tx<{ id: string }[]>`
      select id from environment where type = 'production' and id = any(${candidates}::uuid[])`,
  ])
  if (!settings.auto_detect) return []
  const production = new Set(productionRows.map((e) => e.id))
  // the earliest qualifying deployment of each version in this batch
  const first = new Map<string, CompletedDeployment>()
  for (const d of semver) {
    if (!production.has(d.environment_id)) continue
    if (
      isExcluded(d.product_name, settings.exclude_patterns) ||
      isExcluded(d.environment_name, settings.exclude_patterns)
    ) {
      continue
    }
    if (isBackfill(d, d.at, settings.backfill_horizon_hours)) continue
    const seen = first.get(d.version_id)
    if (!seen || d.at < seen.at) first.set(d.version_id, d)
  }
  if (!first.size) return []
  // "for the first time": no earlier successful production deployment of the version at all,
  // backfilled ones included
  const firsts = [...first.values()]
  const earlier = new Set(
    (
      await tx<{ version_id: string }[]>`
        select c.version_id from unnest(${firsts.map((d) => d.version_id)}::uuid[], ${firsts.map((d) => d.at)}::timestamptz[])
          as c(version_id, at)
        where exists (
          select 1 from event e join environment env on env.id = e.environment_id
          where e.version_id = c.version_id and e.kind = 'deployment' and e.status = 'completed'
            and e.outcome = 'applied' and env.type = 'production' and e.occurred_at < c.at)`
    ).map((r) => r.version_id)
  )
  const created: string[] = []
  for (const d of firsts) {
    if (earlier.has(d.version_id)) continue
    const id = newId()
    const [row] = await tx<{ id: string }[]>`
      insert into release (id, name, status, automatic, detected_version_id, release_date, visible_on_charts, created_by)
      values (${id}, ${`${d.product_name} ${d.version}`.slice(0, 200)}, 'in_progress', true, ${d.version_id},
              ${d.at}, ${settings.auto_annotate}, ${SYSTEM_ACTOR})
      on conflict (detected_version_id) where automatic do nothing
      returning id`
    if (!row) continue
    await tx`insert into release_version (release_id, version_id, product_id, added_by)
             values (${id}, ${d.version_id}, ${d.product_id}, ${SYSTEM_ACTOR})`
    await tx`insert into release_history (release_id, actor, action, changes)
             values (${id}, ${SYSTEM_ACTOR}, 'created', ${tx.json({
               name: `${d.product_name} ${d.version}`,
               automatic: true,
               reason: `${d.product_name} ${d.version} first deployed to ${d.environment_name}`,
             })})`
    created.push(id)
  }
  return created
}
