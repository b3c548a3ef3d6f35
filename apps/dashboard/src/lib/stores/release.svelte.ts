/**
 * One release's page: the release in full (versions, progress matrix) from its `release:<id>`
 * room, its history, and the deployments of its versions, which arrive through the `feed` room
 * and are kept when they are of one of its versions. The release converges by rev; deployments
 * by their own time.
 */
import {
  Room,
  type AddReleaseVersion,
  type Deployment,
  type HistoryEntry,
  type LiveMessage,
  type ReleaseDetail,
  type UpdateRelease,
  versionKey,
} from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { coalesce } from '../live/coalesce.ts'
import { mergeDeploymentSnapshot, mergeDeployments, takeRelease } from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

export interface ReleaseSnapshot {
  release: ReleaseDetail
  history: HistoryEntry[]
}

export class ReleaseStore extends Loadable implements RoomHandler<ReleaseSnapshot> {
  readonly id: string
  readonly room: string
  release = $state.raw<ReleaseDetail | null>(null)
  history = $state.raw<HistoryEntry[]>([])
  deployments = $state.raw<Deployment[]>([])
  /** The feed room's handler: deployments of this release's versions. */
  readonly feed: RoomHandler<Deployment[]>

  readonly #api: Api

  constructor(api: Api, id: string) {
    super()
    this.#api = api
    this.id = id
    this.room = Room.release(id)
    const path = `/releases/${encodeURIComponent(id)}`
    this.feed = {
      room: Room.feed,
      fetch: async () => (await api.get<{ items: Deployment[] }>(`${path}/deployments`)).items,
      reset: (deployments) => {
        this.deployments = mergeDeploymentSnapshot(this.deployments, deployments)
      },
      apply: (message) => {
        if (message.type !== 'deployments') return
        const mine = new Set(this.release?.versions.map((v) => v.version_id))
        this.deployments = mergeDeployments(this.deployments, message.deployments, Infinity, (d) =>
          mine.has(d.version_id)
        )
      },
      failed: (error) => this.failed(error),
    }
  }

  get #path(): string {
    return `/releases/${encodeURIComponent(this.id)}`
  }

  async fetch(): Promise<ReleaseSnapshot> {
    const [release, history] = await Promise.all([
      this.#api.get<ReleaseDetail>(this.#path),
      this.#api.get<{ items: HistoryEntry[] }>(`${this.#path}/history`),
    ])
    return { release, history: history.items }
  }

  reset(snapshot: ReleaseSnapshot): void {
    this.#take(snapshot.release)
    this.#takeHistory(snapshot.history)
    this.succeeded()
  }

  apply(message: LiveMessage): void | 'refetch' {
    if (message.type !== 'release' || message.release.id !== this.id) return
    const before = this.release?.rev
    const taken = this.#take(message.release, message.partial)
    if (taken === 'refetch') return taken
    // every change to a release is in its history, which no message carries
    if (taken === true && (before === undefined || message.release.rev > before)) {
      void this.loadHistory()
    }
  }

  /** Changes name, description, status or metadata; the answer is shown at once. */
  async update(patch: UpdateRelease): Promise<void> {
    this.#take(await this.#api.send<ReleaseDetail>('PATCH', this.#path, patch))
    void this.loadHistory()
  }

  async addVersion(version: AddReleaseVersion): Promise<void> {
    this.#take(await this.#api.send<ReleaseDetail>('POST', `${this.#path}/versions`, version))
    void this.loadHistory()
  }

  async removeVersion(versionId: string): Promise<void> {
    this.#take(
      await this.#api.send<ReleaseDetail>(
        'DELETE',
        `${this.#path}/versions/${encodeURIComponent(versionId)}`
      )
    )
    void this.loadHistory()
  }

  /** Reads the history again (it changes with every change to the release). */
  readonly loadHistory = coalesce(async () => {
    try {
      const page = await this.#api.get<{ items: HistoryEntry[] }>(`${this.#path}/history`)
      this.#takeHistory(page.items)
    } catch (error) {
      this.failed(error)
    }
  })

  readonly #loadDeployments = coalesce(async () => {
    try {
      const page = await this.#api.get<{ items: Deployment[] }>(`${this.#path}/deployments`)
      // merged, not replaced: a deployment that came live during this read may be newer than it
      const mine = new Set(this.release?.versions.map((v) => v.version_id))
      this.deployments = mergeDeployments(
        this.deployments.filter((d) => mine.has(d.version_id)),
        page.items
      )
    } catch (error) {
      this.failed(error)
    }
  })
  /** Takes a copy of the release at least as new as ours (merge.ts `takeRelease`). */
  #take(release: ReleaseDetail, partial = false): boolean | 'refetch' {
    const next = takeRelease(this.release, release, partial)
    if (next === 'refetch') return next
    if (next === this.release) return false
    const versionsChanged = this.release !== null && versionKey(this.release) !== versionKey(next)
    this.release = next
    // other versions, other deployments: those of a version just added were never sent to us
    if (versionsChanged) void this.#loadDeployments()
    return true
  }

  /** History is append-only: entries are merged by id, oldest first. */
  #takeHistory(entries: readonly HistoryEntry[]): void {
    const byId = new Map(this.history.map((h) => [h.id, h]))
    for (const e of entries) byId.set(e.id, e)
    this.history = [...byId.values()].sort((a, b) => a.id - b.id)
  }
}
