/**
 * The live feed: the newest deployments, from the `feed` room, newest first by their own time.
 */
import { Room, type Deployment, type LiveMessage } from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { mergeDeploymentSnapshot, mergeDeployments } from '../live/merge.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

export const FEED_SIZE = 100

export class FeedStore extends Loadable implements RoomHandler<Deployment[]> {
  readonly room = Room.feed
  deployments = $state.raw<Deployment[]>([])
  /** Ids of deployments that arrived live (not in the first snapshot), to highlight them. */
  fresh = $state.raw<ReadonlySet<string>>(new Set())

  readonly #api: Api

  constructor(api: Api) {
    super()
    this.#api = api
  }

  async fetch(): Promise<Deployment[]> {
    return (await this.#api.get<{ items: Deployment[] }>(`/deployments?limit=${FEED_SIZE}`)).items
  }

  reset(deployments: Deployment[]): void {
    this.deployments = mergeDeploymentSnapshot(this.deployments, deployments, FEED_SIZE)
    this.succeeded()
  }

  apply(message: LiveMessage): void {
    if (message.type !== 'deployments') return
    this.deployments = mergeDeployments(this.deployments, message.deployments, FEED_SIZE)
    this.fresh = new Set([...this.fresh, ...message.deployments.map((d) => d.id)])
  }
}
