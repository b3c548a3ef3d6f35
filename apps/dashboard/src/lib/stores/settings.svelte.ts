/**
 * The settings of automatic releases (`GET/PATCH /settings/releases`, admin only). Nothing
 * pushes them live: they change only through this page or the API, and each save answers with
 * what was stored, including who changed them last.
 */
import type { ReleaseSettings, UpdateReleaseSettings } from '@shiplog/contracts'

import type { Api } from '../api.ts'

import { Loadable } from './loadable.svelte.ts'

export class SettingsStore extends Loadable {
  settings = $state.raw<ReleaseSettings | null>(null)
  readonly #api: Api

  constructor(api: Api) {
    super()
    this.#api = api
  }

  async load(): Promise<void> {
    try {
      this.settings = await this.#api.get<ReleaseSettings>('/settings/releases')
      this.succeeded()
    } catch (error) {
      this.failed(error)
    }
  }

  /** Saves a change; the error (in the API's words) is the caller's to show. */
  async save(patch: UpdateReleaseSettings): Promise<void> {
    this.settings = await this.#api.send<ReleaseSettings>('PATCH', '/settings/releases', patch)
    this.succeeded()
  }
}
