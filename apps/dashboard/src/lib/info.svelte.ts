/**
 * What this install says about itself (`GET /api/v1/info`, no token needed): its version and
 * ingest's public URL, which the empty states put in the curl they offer. Read once, on first use.
 */
import type { Api } from './api.ts'

export interface InstallInfo {
  version: string
  public_read: boolean
  ingest_url: string | null
}

export class Info {
  info = $state.raw<InstallInfo | null>(null)
  readonly #api: Api
  #asked = false

  constructor(api: Api) {
    this.#api = api
  }

  /** Ingest's public URL as the operator set it; null until known or when not set. */
  get ingestUrl(): string | null {
    if (!this.#asked) {
      this.#asked = true
      this.#api.get<InstallInfo>('/info').then(
        (info) => (this.info = info),
        () => {
          // an older gateway, or unreachable: the empty state falls back to its guess
        }
      )
    }
    return this.info?.ingest_url ?? null
  }
}
