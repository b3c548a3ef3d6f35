/**
 * The release timeline: pages of `GET /releases/timeline` for the page's filters, kept live by
 * the `releases` room. Summaries converge by rev (`lib/timeline.ts`); a release the store has
 * not seen, or one whose `updated_at` moved (an edit, a version added), is read in full for its
 * products@versions, one read per release at a time and once more if it changed meanwhile. The
 * room's snapshot is the first page; older pages are read on demand and kept across snapshots.
 */
import type { LiveMessage, ReleaseDetail, TimelineRelease } from '@shiplog/contracts'
import { Room } from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { NO_TIMELINE_FILTERS, timelineQuery, type TimelineFilters } from '../filters.ts'
import { isNewer } from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'
import {
  compareTimeline,
  covered,
  fromTimeline,
  matchesTimeline,
  mergeSummary,
  needsProducts,
  positionOf,
  type Position,
  type TimelineEntry,
} from '../timeline.ts'

import { Loadable } from './loadable.svelte.ts'

export const TIMELINE_PAGE = 50

interface Page {
  items: TimelineRelease[]
  next_cursor: string | null
}

export interface TimelineSnapshot extends Page {
  /** Which filters it was read for: a snapshot of older filters is dropped. */
  generation: number
}

export class TimelineStore extends Loadable implements RoomHandler<TimelineSnapshot> {
  readonly room = Room.releases
  entries = $state.raw<ReadonlyMap<string, TimelineEntry>>(new Map())
  filters = $state.raw<TimelineFilters>(NO_TIMELINE_FILTERS)
  /** The next page's cursor; null when every page is loaded. */
  cursor = $state<string | null>(null)
  /** Where the loaded pages end: releases older than this are shown once their page is. */
  end = $state.raw<Position | null>(null)
  loadingMore = $state(false)
  /** Ids that arrived live, to highlight them. */
  fresh = $state.raw<ReadonlySet<string>>(new Set())

  /** What the page shows: held releases that pass the filters, within the loaded pages. */
  readonly list: TimelineEntry[] = $derived(
    [...this.entries.values()]
      .filter((e) => matchesTimeline(e, this.filters) && covered(positionOf(e), this.end))
      .sort((a, b) => compareTimeline(positionOf(a), positionOf(b)))
  )

  readonly #api: Api
  #generation = 0
  /** Older pages were read: a snapshot (the first page) no longer sets where they end. */
  #paged = false
  readonly #reading = new Map<string, { again: boolean }>()
  /** Messages that came while the first page for new filters was read. */
  #held: LiveMessage[] | null = null

  constructor(api: Api, filters: TimelineFilters) {
    super()
    this.#api = api
    this.filters = filters
  }

  async fetch(): Promise<TimelineSnapshot> {
    const generation = this.#generation
    const page = await this.#api.get<Page>(
      `/releases/timeline${timelineQuery(this.filters, { limit: TIMELINE_PAGE })}`
    )
    return { ...page, generation }
  }

  reset(snapshot: TimelineSnapshot): void {
    if (snapshot.generation !== this.#generation) return
    const last = snapshot.items.at(-1)
    const snapEnd = snapshot.next_cursor && last ? positionOf(last) : null
    const inSnapshot = new Set(snapshot.items.map((r) => r.id))
    const next = new Map<string, TimelineEntry>()
    for (const [id, e] of this.entries) {
      // what the snapshot covers, it decides; what lies beyond (older pages) is kept
      if (inSnapshot.has(id) || !covered(positionOf(e), snapEnd)) next.set(id, e)
    }
    for (const r of snapshot.items) this.#put(next, fromTimeline(r))
    this.entries = next
    if (!this.#paged) {
      this.cursor = snapshot.next_cursor
      this.end = snapEnd
    }
    this.succeeded()
    this.#readMissing()
  }

  apply(message: LiveMessage): void {
    if (message.type !== 'releases') return
    if (this.#held) {
      // the first page for new filters is being read: this goes on top of it, as the engine does
      this.#held.push(message)
      return
    }
    let next: Map<string, TimelineEntry> | null = null
    const arrived: string[] = []
    for (const summary of message.releases) {
      const held = (next ?? this.entries).get(summary.id)
      const merged = mergeSummary(held, summary)
      if (!merged) continue
      next ??= new Map(this.entries)
      next.set(summary.id, merged)
      if (!held) arrived.push(summary.id)
    }
    if (!next) return
    this.entries = next
    if (arrived.length) this.fresh = new Set([...this.fresh, ...arrived])
    this.#readMissing()
  }

  /** Other filters: start again from their first page. */
  setFilters(filters: TimelineFilters): void {
    this.#generation++
    this.filters = filters
    this.entries = new Map()
    this.cursor = null
    this.end = null
    this.#paged = false
    this.loaded = false
    this.fresh = new Set()
    const held: LiveMessage[] = []
    this.#held = held
    void this.fetch()
      .then(
        (s) => this.reset(s),
        (e: unknown) => this.failed(e)
      )
      .finally(() => {
        if (this.#held !== held) return // newer filters took over
        this.#held = null
        for (const m of held) this.apply(m)
      })
  }

  /** Reads the next older page. */
  async more(): Promise<void> {
    const cursor = this.cursor
    if (!cursor || this.loadingMore) return
    const generation = this.#generation
    this.loadingMore = true
    try {
      const page = await this.#api.get<Page>(
        `/releases/timeline${timelineQuery(this.filters, { limit: TIMELINE_PAGE, cursor })}`
      )
      if (generation !== this.#generation) return
      const next = new Map(this.entries)
      for (const r of page.items) this.#put(next, fromTimeline(r))
      this.entries = next
      const last = page.items.at(-1)
      this.#paged = true
      this.cursor = page.next_cursor
      this.end = page.next_cursor && last ? positionOf(last) : null
      this.#readMissing()
    } catch (error) {
      this.failed(error)
    } finally {
      this.loadingMore = false
    }
  }

  /** Keeps the newer copy; a full read's products go with it. */
  #put(map: Map<string, TimelineEntry>, entry: TimelineEntry): void {
    const held = map.get(entry.id)
    if (!held || !isNewer(entry, held)) map.set(entry.id, entry)
    else if (held.updated_at === entry.updated_at && needsProducts(held)) {
      // an older read of the same edit: its products are still the right ones
      map.set(entry.id, { ...held, products: entry.products, productsOf: entry.productsOf })
    }
  }

  /**
   * Reads the products of the releases the page would show (any product), not of every release
   * whose progress moved somewhere further down the timeline.
   */
  #readMissing(): void {
    const anyProduct = { ...this.filters, product: null }
    for (const e of this.entries.values()) {
      if (!needsProducts(e) || !covered(positionOf(e), this.end)) continue
      if (matchesTimeline(e, anyProduct)) void this.#readRelease(e.id)
    }
  }

  async #readRelease(id: string): Promise<void> {
    const busy = this.#reading.get(id)
    if (busy) {
      busy.again = true
      return
    }
    const state = { again: false }
    this.#reading.set(id, state)
    try {
      do {
        state.again = false
        const generation = this.#generation
        const r = await this.#api.get<ReleaseDetail>(`/releases/${encodeURIComponent(id)}`)
        if (generation !== this.#generation) return
        const { versions, progress: _progress, ...summary } = r
        const products = versions
          .map((v) => ({
            product_id: v.product_id,
            product_name: v.product_name,
            version: v.version,
          }))
          .sort((a, b) => (a.product_name < b.product_name ? -1 : 1))
        const next = new Map(this.entries)
        this.#put(next, { ...summary, products, productsOf: summary.updated_at })
        this.entries = next
        const now = next.get(id)
        if (now && needsProducts(now)) state.again = true
      } while (state.again)
    } catch (error) {
      this.failed(error)
    } finally {
      this.#reading.delete(id)
    }
  }
}
