/**
 * The API benchmark's releases, as people and the release service would have made them over the
 * dataset's year:
 *  - manual ones (10,000): each holds the newest version of 2–25 products at its time; old ones
 *    are completed or cancelled, recent ones in progress or drafts (a draft holds versions not yet
 *    deployed: one whose version started deploying would have moved to in_progress by itself);
 *    most carry a release date, some an end date, some target a few environments, some are hidden
 *    from charts;
 *  - automatic ones: one per semantic version at its first successful production deployment
 *    (services/release/src/automatic.ts), dated by that deployment, in progress until a person
 *    completes it (many never do), shown on charts (the default) unless a person hid it.
 * Each comes with the history the release service would have written.
 */
import { SYSTEM_ACTOR, versionId, type ReleaseStatus } from '@shiplog/contracts'

import {
  DAY,
  ENVIRONMENTS,
  PEOPLE,
  isProduction,
  prng,
  type Catalog,
  type Deployments,
  type Shape,
} from './dataset.ts'
import { PROCESSING_MS, type Events } from './events.ts'

const HOUR = 3_600_000
const THEMES = ['Weekly train', 'Hotfix', 'Platform upgrade', 'Checkout revamp', 'Q-end freeze']
/** Environments a manual release may target (indexes into ENVIRONMENTS); most target all. */
const TARGETS = [[3, 5], [5, 6, 7], [4, 5, 6], [6]]

export interface HistoryEntry {
  at: number
  actor: string
  action: 'created' | 'edited' | 'status_changed' | 'version_added'
  changes: Record<string, unknown>
}

export interface SeedRelease {
  /** Creation time: the UUIDv7 id is made from it, so id order is creation order. */
  at: number
  name: string
  description: string | null
  status: ReleaseStatus
  createdBy: string
  /** [product index, version index], with when each was added */
  versions: Array<{ product: number; version: number; at: number }>
  automatic: boolean
  releaseDate: number | null
  endDate: number | null
  /** Targeted environments (indexes into ENVIRONMENTS); null: all. */
  environments: number[] | null
  visible: boolean
  extraMetadata: Record<string, unknown>
  /** In the order the release service wrote it. */
  history: HistoryEntry[]
}

/** Manual releases over the dataset's year. */
export function generateReleases(shape: Shape, catalog: Catalog, seed = 2): SeedRelease[] {
  const rand = prng(seed)
  const { start, now } = catalog
  const name = (p: number) => catalog.products[p]!.name
  const versionOf = (p: number, v: number) => catalog.versions[p]![v]!.version
  const releases: SeedRelease[] = []
  for (let r = 0; r < shape.releases; r++) {
    const at = Math.round(start + ((r + rand() * 0.9) / shape.releases) * (now - DAY - start))
    const ageDays = (now - at) / DAY
    const roll = rand()
    const status: ReleaseStatus =
      ageDays > 45
        ? roll < 0.94
          ? 'completed'
          : roll < 0.99
            ? 'cancelled'
            : 'in_progress'
        : roll < 0.55
          ? 'in_progress'
          : roll < 0.85
            ? 'completed'
            : roll < 0.9
              ? 'cancelled'
              : 'draft'
    const count = 2 + Math.floor(rand() ** 2 * 24)
    const picked = new Set<number>()
    while (picked.size < count) picked.add(Math.floor(rand() * catalog.products.length))
    const versions: SeedRelease['versions'] = []
    for (const p of [...picked].sort((a, b) => a - b)) {
      const own = catalog.versions[p]!
      // a draft holds versions not yet deployed; a completed release, versions that reached
      // production; the others, the newest version built by then
      const v = status === 'draft' ? own.length - 1 : newestBefore(own, at, status === 'completed')
      if (v >= 0) versions.push({ product: p, version: v, at: at + (versions.length + 1) * 1000 })
    }
    const actor = PEOPLE[Math.floor(rand() * PEOPLE.length)]!
    const theme = THEMES[Math.floor(rand() ** 3 * THEMES.length)]!
    const description = rand() < 0.5 ? null : `Ships ${versions.length} services together.`
    const ticket = rand() < 0.6 ? `REL-${1000 + r}` : null
    // the date it ships (planned a little after it is created), its rollout's end, its targets
    const releaseDate =
      rand() < 0.75
        ? Math.round(
            status === 'completed' || status === 'cancelled'
              ? Math.min(at + rand() * 2 * DAY, now - HOUR)
              : at + rand() * 3 * DAY
          )
        : null
    const endDate = releaseDate && rand() < 0.3 ? releaseDate + (1 + rand() * 13) * DAY : null
    const environments = rand() < 0.2 ? TARGETS[Math.floor(rand() * TARGETS.length)]! : null
    const visible = rand() >= 0.1
    const history: HistoryEntry[] = [
      {
        at,
        actor,
        action: 'created',
        changes: {
          name: `${theme} ${new Date(at).toISOString().slice(0, 10)} #${r + 1}`,
          status: 'draft',
          ...(environments ? { environments: environments.map((e) => ENVIRONMENTS[e]!) } : {}),
        },
      },
      ...versions.map((v): HistoryEntry => ({
        at: v.at,
        actor,
        action: 'version_added',
        changes: {
          version_id: versionId(name(v.product), versionOf(v.product, v.version)),
          product_name: name(v.product),
          version: versionOf(v.product, v.version),
        },
      })),
    ]
    if (!visible) {
      history.push({
        at: at + (versions.length + 2) * 1000,
        actor,
        action: 'edited',
        changes: { visible_on_charts: { from: true, to: false } },
      })
    }
    if (status !== 'draft') {
      const startedAt = at + (0.5 + rand() * 6) * HOUR
      const cancelledEarly = status === 'cancelled' && rand() < 0.4
      if (!cancelledEarly) {
        history.push({
          at: startedAt,
          actor: SYSTEM_ACTOR,
          action: 'status_changed',
          changes: {
            from: 'draft',
            to: 'in_progress',
            reason: 'a deployment of one of its versions started',
          },
        })
      }
      if (status !== 'in_progress') {
        history.push({
          at: Math.min(startedAt + (1 + rand() * 72) * HOUR, now - 60_000),
          actor,
          action: 'status_changed',
          changes: { from: cancelledEarly ? 'draft' : 'in_progress', to: status },
        })
      }
    }
    releases.push({
      at,
      name: history[0]!.changes.name as string,
      description,
      status,
      createdBy: actor,
      versions,
      automatic: false,
      releaseDate,
      endDate,
      environments,
      visible,
      extraMetadata: ticket ? { ticket } : {},
      history,
    })
  }
  return releases
}

/**
 * The release service's automatic releases: one per semantic version, created in the transaction
 * that recorded its first successful production deployment, dated by that deployment's own time.
 */
export function generateAutomaticReleases(
  catalog: Catalog,
  d: Deployments,
  e: Events,
  seed = 7
): SeedRelease[] {
  const rand = prng(seed)
  const first = new Map<number, number>() // global version index → deployment
  for (let i = 0; i < d.count; i++) {
    const p = d.product[i]!
    if (!catalog.products[p]!.semver || d.status[i] !== 0 || !isProduction(d.environment[i]!)) {
      continue
    }
    const g = e.versionBase[p]! + d.version[i]!
    const seen = first.get(g)
    if (seen === undefined || d.at[i]! < d.at[seen]!) first.set(g, i)
  }
  const releases: SeedRelease[] = []
  for (const i of [...first.values()].sort((a, b) => d.at[a]! - d.at[b]!)) {
    const p = d.product[i]!
    const product = catalog.products[p]!.name
    const { version } = catalog.versions[p]![d.version[i]!]!
    const at = e.received[e.newest[i]!]! + PROCESSING_MS
    const name = `${product} ${version}`.slice(0, 200)
    const history: HistoryEntry[] = [
      {
        at,
        actor: SYSTEM_ACTOR,
        action: 'created',
        changes: {
          name,
          automatic: true,
          reason: `${product} ${version} first deployed to ${ENVIRONMENTS[d.environment[i]!]!}`,
        },
      },
    ]
    // people complete some of them once things settle, and hide a few from charts
    const actor = PEOPLE[Math.floor(rand() * PEOPLE.length)]!
    const completed = catalog.now - at > 30 * DAY && rand() < 0.35
    const visible = rand() >= 0.04
    const later = at + (1 + rand() * 72) * HOUR
    if (!visible) {
      history.push({
        at: later,
        actor,
        action: 'edited',
        changes: { visible_on_charts: { from: true, to: false } },
      })
    }
    if (completed) {
      history.push({
        at: later + 60_000,
        actor,
        action: 'status_changed',
        changes: { from: 'in_progress', to: 'completed' },
      })
    }
    releases.push({
      at,
      name,
      description: null,
      status: completed ? 'completed' : 'in_progress',
      createdBy: SYSTEM_ACTOR,
      versions: [{ product: p, version: d.version[i]!, at }],
      automatic: true,
      releaseDate: d.at[i]!,
      endDate: null,
      environments: null,
      visible,
      extraMetadata: {},
      history,
    })
  }
  return releases
}

function newestBefore(own: Catalog['versions'][number], at: number, live: boolean): number {
  // the last version is the undeployed one: releases other than drafts never pick it
  let lo = 0
  let hi = own.length - 2
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (own[mid]!.at <= at) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  if (live) while (found >= 0 && !own[found]!.live) found--
  return found
}
