/**
 * One release's report (reach, time to production, failures, what is new, adoption, analyses)
 * from `GET /releases/{id}/report`, kept current by the release's room: the report is computed,
 * so a message carrying a newer rev of the release makes it read the report again rather than
 * patch it. A report read at an older rev than the one shown is dropped.
 */
import {
  Room,
  type Analysis,
  type CreateAnalysis,
  type LiveMessage,
  type ReleaseDetail,
  type ReleaseReport,
} from '@shiplog/contracts'

import type { Api } from '../api.ts'
import { coalesce } from '../live/coalesce.ts'
import type { RoomHandler } from '../live/sync.ts'

import { Loadable } from './loadable.svelte.ts'

export class ReportStore extends Loadable implements RoomHandler<ReleaseReport> {
  readonly id: string
  readonly room: string
  report = $state.raw<ReleaseReport | null>(null)
  readonly #api: Api
  readonly #path: string

  constructor(api: Api, id: string) {
    super()
    this.#api = api
    this.id = id
    this.room = Room.release(id)
    this.#path = `/releases/${encodeURIComponent(id)}`
  }

  fetch(): Promise<ReleaseReport> {
    return this.#api.get<ReleaseReport>(`${this.#path}/report`)
  }

  reset(report: ReleaseReport): void {
    this.#take(report)
    this.succeeded()
  }

  apply(message: LiveMessage): void {
    if (message.type !== 'release' || message.release.id !== this.id) return
    if (!this.report || message.release.rev > this.report.release.rev) void this.reload()
  }

  /** Reads the report again (once more if asked again while reading). */
  readonly reload = coalesce(async () => {
    try {
      this.#take(await this.fetch())
      this.succeeded()
    } catch (error) {
      this.failed(error)
    }
  })

  /** Shows or hides the release on charts; the only change a completed release accepts. */
  async setVisible(visible: boolean): Promise<void> {
    const release = await this.#api.send<ReleaseDetail>('PATCH', this.#path, {
      visible_on_charts: visible,
    })
    if (this.report && release.rev > this.report.release.rev) {
      const { versions: _v, progress: _p, ...summary } = release
      this.report = { ...this.report, release: summary }
    }
    await this.reload()
  }

  async addAnalysis(item: CreateAnalysis): Promise<Analysis> {
    const created = await this.#api.send<Analysis>('POST', `${this.#path}/analyses`, item)
    await this.reload()
    return created
  }

  async removeAnalysis(analysisId: string): Promise<void> {
    const left = await this.#api.send<{ items: Analysis[] }>(
      'DELETE',
      `${this.#path}/analyses/${encodeURIComponent(analysisId)}`
    )
    if (this.report) this.report = { ...this.report, analyses: left.items }
    await this.reload()
  }

  #take(report: ReleaseReport): void {
    if (this.report && report.release.rev < this.report.release.rev) return
    this.report = report
  }
}
