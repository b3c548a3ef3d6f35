/**
 * The releases list (status, production progress) from the `releases` room, newest first.
 * Summaries converge by rev.
 */
import { Room, type LiveMessage, type Release } from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { mergeSnapshot, mergeUpdates } from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

/** How many releases the list reads; older ones are reached by search. */
export const RELEASES_PAGE = 200

const byId = (r: Release) => r.id

export class ReleasesStore extends Loadable implements RoomHandler<Release[]> {
  readonly room = Room.releases
  releases = $state.raw<ReadonlyMap<string, Release>>(new Map())

  /** Newest first: release ids are UUIDv7, so their order is creation order. */
  readonly list: Release[] = $derived(
    [...this.releases.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
  )

  readonly #api: Api

  constructor(api: Api) {
    super()
    this.#api = api
  }

  async fetch(): Promise<Release[]> {
    return (await this.#api.get<{ items: Release[] }>(`/releases?limit=${RELEASES_PAGE}`)).items
  }

  reset(releases: Release[]): void {
    this.releases = mergeSnapshot(this.releases, releases, byId)
    this.succeeded()
  }

  apply(message: LiveMessage): void {
    if (message.type !== 'releases') return
    this.releases = mergeUpdates(this.releases, message.releases, byId)
  }

  /** A release this page just created or changed: shown at once, the room confirms it later. */
  put(release: Release): void {
    this.releases = mergeUpdates(this.releases, [release], byId)
  }
}
