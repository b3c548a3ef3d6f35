/**
 * A figure computed by the API (the deployments chart, DORA metrics) kept current: read when
 * its rooms are joined and whenever a live message says its inputs moved, throttled, since each
 * read recomputes over a range. Such answers carry no rev, so the newest request wins: an answer
 * is taken only if its read started after the one shown.
 */
import type { LiveMessage } from '@shiplog/contracts'

import type { Api } from '../api.ts'
import type { RoomHandler } from '../live/sync.ts'
import { throttle, type ThrottleTimers, type Throttled } from '../live/throttle.ts'

import { Loadable } from './loadable.svelte.ts'

export interface MetricsOptions {
  /** The rooms whose messages may change the figure, and which of their messages do. */
  rooms: Record<string, (message: LiveMessage) => boolean>
  /** Least time between two reads prompted by messages. */
  throttleMs?: number
  timers?: ThrottleTimers
}

interface Answer<T> {
  n: number
  path: string
  data: T
}

export class MetricsStore<T> extends Loadable {
  data = $state.raw<T | null>(null)
  /** The path the data shown was read from (a filter change empties it until the new answer). */
  path = $state('')
  readonly handlers: RoomHandler<Answer<T>>[]
  readonly #api: Api
  #want: string
  #issued = 0
  #shown = 0
  readonly #refresh: Throttled

  constructor(api: Api, path: string, options: MetricsOptions) {
    super()
    this.#api = api
    this.#want = path
    this.#refresh = throttle(() => void this.reload(), options.throttleMs ?? 1000, options.timers)
    this.handlers = Object.entries(options.rooms).map(([room, relevant]) => ({
      room,
      fetch: () => this.#read(),
      reset: (answer) => this.#take(answer),
      apply: (message) => {
        if (relevant(message)) this.#refresh()
      },
      failed: (error) => this.failed(error),
    }))
  }

  /** Reads another path (the filters changed). */
  show(path: string): void {
    if (path === this.#want) return
    this.#want = path
    void this.reload()
  }

  async reload(): Promise<void> {
    try {
      this.#take(await this.#read())
    } catch (error) {
      this.failed(error)
    }
  }

  /** Stops a read still waiting for its turn (the page closed). */
  stop(): void {
    this.#refresh.cancel()
  }

  async #read(): Promise<Answer<T>> {
    const n = ++this.#issued
    const path = this.#want
    return { n, path, data: await this.#api.get<T>(path) }
  }

  #take(answer: Answer<T>): void {
    if (answer.n < this.#shown || answer.path !== this.#want) return
    this.#shown = answer.n
    this.data = answer.data
    this.path = answer.path
    this.succeeded()
  }
}
