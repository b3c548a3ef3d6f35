/**
 * Release intelligence in a real browser against the real system: a new semantic version
 * reaching production shows on the open timeline and as a chart marker within a second, without
 * a reload; the release report and the DORA page show figures equal to small fixtures computed
 * by hand below; the forms and the admin-only settings work as a person uses them. The README's
 * screenshots of these pages are taken here.
 */
/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, newContext, open, watch } from './support/browser.ts'
import { ROOT, startSystem, type System } from './support/system.ts'

const SCREENSHOTS = join(ROOT, 'docs', 'screenshots')
/** The bar: visible within a second of the POST's answer. */
const SECOND_MS = Number(process.env.E2E_SECOND_MS ?? 1000)

let system: System
let browser: Browser

beforeAll(async () => {
  ;[system, browser] = await Promise.all([startSystem(), launchBrowser()])
  mkdirSync(SCREENSHOTS, { recursive: true })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await system?.stop()
})

/** A time on the UTC day `daysAgo` days before today. */
const at = (daysAgo: number, h: number, m = 0) => {
  const today = new Date()
  return new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - daysAgo, h, m)
  ).toISOString()
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

const deploymentsOf = (product: string) =>
  system
    .api<{ items: unknown[] }>('GET', `/deployments?product=${product}&limit=500`)
    .then((p) => p.items.length)

const text = (page: Page, selector: string) => page.locator(selector).first().innerText()

describe('release intelligence, live', () => {
  it('shows a new version reaching production on the timeline and as a chart marker within a second', async () => {
    // ledger has shipped before: 1.4.0 is in production (an automatic release already)
    await system.deploy({
      product_name: 'ledger',
      version: '1.4.0',
      environment_name: 'staging',
      status: 'success',
    })
    await system.deploy({
      product_name: 'ledger',
      version: '1.4.0',
      environment_name: 'production',
      status: 'success',
    })
    await system.deploy({
      product_name: 'ledger',
      version: '1.5.0',
      environment_name: 'staging',
      status: 'success',
    })
    await until(
      'three ledger deployments',
      () => deploymentsOf('ledger'),
      (n) => n >= 3
    )

    const context = await newContext(browser, { token: system.token })
    const timeline = await open(context, `${system.url}/timeline`)
    const charts = await open(context, `${system.url}/charts?bucket=hour`)
    for (const { page } of [timeline, charts]) {
      await page.locator('[data-live="live"]').waitFor({ timeout: 20_000 })
    }
    await timeline.page.locator('[data-release-name="ledger 1.4.0"]').waitFor()
    await charts.page.locator('[data-marker-name="ledger 1.4.0"]').waitFor()
    expect(await timeline.page.locator('[data-release-name="ledger 1.5.0"]').count()).toBe(0)

    const onTimeline = await watch(
      timeline.page,
      '[data-release-name="ledger 1.5.0"]',
      'ledger@1.5.0'
    )
    const onChart = await watch(charts.page, '[data-marker-name="ledger 1.5.0"]')
    await system.deploy({
      product_name: 'ledger',
      version: '1.5.0',
      environment_name: 'production',
      status: 'success',
      deployed_by: 'deploy-bot',
    })
    const answered = Date.now()
    const [t, c] = await Promise.all([onTimeline(), onChart()])
    console.log(
      `POST answered → automatic release visible: timeline ${t - answered} ms, chart marker ${c - answered} ms`
    )
    expect(t - answered).toBeLessThan(SECOND_MS)
    expect(c - answered).toBeLessThan(SECOND_MS)

    // what they show is the release the API has, newest first, automatic, linked to its report
    const api = await system.api<{ items: Array<{ id: string; name: string }> }>(
      'GET',
      '/releases/timeline?product=ledger'
    )
    expect(api.items.map((r) => r.name)).toEqual(['ledger 1.5.0', 'ledger 1.4.0'])
    const id = api.items[0]!.id
    const entries = timeline.page.locator('[data-release-name]')
    expect(await entries.first().getAttribute('data-release')).toBe(id)
    const entry = timeline.page.locator(`[data-release="${id}"]`)
    expect(await entry.locator('[data-kind]').getAttribute('data-kind')).toBe('automatic')
    expect(await entry.locator('[data-environments]').innerText()).toBe('all')
    const marker = charts.page.locator(`[data-marker="${id}"]`)
    expect(await marker.getAttribute('href')).toBe(`/releases/${id}/report`)

    // the marker names the release when focused (keyboard) and leads to its report
    await marker.focus()
    await expect.poll(() => marker.locator('.tip').isVisible()).toBe(true)
    expect(await marker.locator('.tip').innerText()).toContain('ledger 1.5.0')
    await charts.page.keyboard.press('Enter')
    await charts.page.locator(`[data-report="${id}"]`).waitFor()
    expect(await text(charts.page, 'h1')).toContain('ledger 1.5.0')

    for (const p of [timeline, charts]) await p.noReload()
    expect([...timeline.problems, ...charts.problems]).toEqual([])
    await context.close()
  })

  it("shows a release's report equal to a hand-computed fixture, and keeps it current", async () => {
    // Fixture. D is three days ago (UTC), so no event here makes an automatic release (they are
    // backfills: older than 24 h on arrival). Environments: staging, production.
    //   alpha 1.0.0 → production D-1 09:00; the release "Alpha 1" (D-1 12:00) holds it.
    //   beta  3.0.0 → production D 08:00.
    //   alpha 2.0.0 → staging failed D 10:00, staging D 10:30, production D 12:00.
    //   beta  3.1.0 → staging D 11:00.
    // The release "Checkout revamp" (D 12:00, every environment) holds alpha 2.0.0 and beta 3.1.0.
    //   alpha targets staging and production (where it runs): reached 2 of 2 (100%); first
    //     deployed D 10:00 (the failure counts), in production D 12:00: 2 h; 1 failure.
    //   beta targets staging and production: reached 1 of 2 (50%): not in production ("—").
    //   All: 3 of 4 (75%); first deployment D 10:00 → first production D 12:00: 2 h; failures:
    //     1, in staging.
    //   New since "Alpha 1" (D-1 12:00) up to D 12:00: product beta (first seen D 08:00),
    //     environment staging (D 10:00; production was seen D-1), versions beta 3.0.0, alpha
    //     2.0.0, beta 3.1.0.
    //   Adoption from D: every day 3 of 4 cells run its versions (beta production still runs
    //     3.0.0): 75%, for D, D+1, D+2 and today, 4 days.
    const events: Array<Record<string, unknown>> = [
      {
        product_name: 'alpha',
        version: '1.0.0',
        environment_name: 'production',
        completed_at: at(4, 9),
      },
      {
        product_name: 'beta',
        version: '3.0.0',
        environment_name: 'production',
        completed_at: at(3, 8),
      },
      {
        product_name: 'alpha',
        version: '2.0.0',
        environment_name: 'staging',
        status: 'failed',
        completed_at: at(3, 10),
      },
      {
        product_name: 'alpha',
        version: '2.0.0',
        environment_name: 'staging',
        completed_at: at(3, 10, 30),
      },
      {
        product_name: 'alpha',
        version: '2.0.0',
        environment_name: 'production',
        completed_at: at(3, 12),
      },
      {
        product_name: 'beta',
        version: '3.1.0',
        environment_name: 'staging',
        completed_at: at(3, 11),
      },
    ]
    for (const e of events) await system.deploy({ status: 'success', ...e })
    await until(
      'the fixture recorded',
      () => deploymentsOf('alpha'),
      (n) => n >= 3
    )
    await until(
      'the fixture recorded',
      () => deploymentsOf('beta'),
      (n) => n >= 2
    )
    expect(
      (await system.api<{ items: unknown[] }>('GET', '/releases/timeline?product=alpha')).items
    ).toEqual([])
    await system.api('POST', '/releases', {
      name: 'Alpha 1',
      release_date: at(4, 12),
      version: { product_name: 'alpha', version: '1.0.0' },
    })

    // the release is made the way a person makes it: the form, then the version picker
    const context = await newContext(browser, { token: system.token, timezoneId: 'UTC' })
    const opened = await open(context, `${system.url}/releases?new=1`)
    const { page, problems } = opened
    const form = page.locator('form[aria-label="New release"]')
    await form.getByLabel('Name').fill('Checkout revamp')
    await form.locator('select[name="product"]').selectOption({ label: 'alpha' })
    await expect.poll(() => form.locator('select[name="version"]').inputValue()).not.toBe('')
    await form.locator('select[name="version"]').selectOption({ label: '2.0.0' })
    await form.locator('input[name="release_date"]').fill(at(3, 12).slice(0, 16))
    await form.getByRole('button', { name: 'Create release' }).click()
    await page.locator('#release-title').waitFor()
    expect(await page.locator('#release-title').innerText()).toContain('Checkout revamp')
    const facts = page.locator('[data-facts]')
    expect(await facts.innerText()).toContain(`${at(3, 12).slice(0, 10)} 12:00 UTC`)
    expect(await facts.locator('[data-environments]').innerText()).toBe('all environments')
    const picker = page.locator('form[aria-label="Add a version"]')
    await picker.locator('select[name="product"]').selectOption({ label: 'beta' })
    await picker.locator('select[name="version"]').selectOption({ label: '3.1.0' })
    await picker.getByRole('button', { name: 'Add version' }).click()
    await page.locator('table.matrix tr[data-product="beta"]').waitFor()

    await page.getByRole('link', { name: 'Report' }).first().click()
    await page.locator('[data-report]').waitFor()
    const id = (await page.locator('[data-report]').getAttribute('data-report'))!

    const row = (product: string) =>
      page.locator(`table[data-metrics] tr[data-product="${product}"]`)
    expect(await text(page, '[data-figure="reach"] strong')).toBe('75%')
    expect(await text(page, '[data-figure="time-to-production"] strong')).toBe('2 h')
    expect(await text(page, '[data-figure="failures"] strong')).toBe('1')
    expect(await row('alpha').locator('[data-reached]').innerText()).toBe('2 of 2 (100%)')
    expect(await row('alpha').locator('[data-ttp]').innerText()).toBe('2 h')
    expect(await row('alpha').locator('td').last().innerText()).toBe('1')
    expect(await row('beta').locator('[data-reached]').innerText()).toBe('1 of 2 (50%)')
    expect(await row('beta').locator('[data-ttp]').innerText()).toBe('—')
    const total = page.locator('table[data-metrics] tr[data-total]')
    expect(await total.locator('[data-reached]').innerText()).toBe('3 of 4 (75%)')
    expect(await total.locator('[data-ttp]').innerText()).toBe('2 h')
    const failures = await page.locator('[data-failures] li').allInnerTexts()
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(/1 failed\s+in staging$/)

    const news = page.locator('[data-new]')
    expect(await news.getByRole('link', { name: 'Alpha 1' }).count()).toBe(1)
    expect(await news.locator('[data-new-products] li').allInnerTexts()).toEqual([
      expect.stringMatching(/^beta /),
    ])
    expect(await news.locator('[data-new-environments] li').allInnerTexts()).toEqual([
      expect.stringMatching(/^staging /),
    ])
    expect(
      (await news.locator('[data-new-versions] li').allInnerTexts()).map((s) =>
        s.split(' ').slice(0, 2).join(' ')
      )
    ).toEqual(['beta 3.0.0', 'alpha 2.0.0', 'beta 3.1.0'])

    const days = page.locator('table[data-adoption] tbody tr')
    expect(await days.count()).toBe(4)
    expect(await days.first().getAttribute('data-day')).toBe(at(3, 0).slice(0, 10))
    for (const d of await days.all()) {
      // (in a closed <details>: read as text, not as rendered)
      expect(await d.locator('td').allTextContents()).toEqual(['3 of 4', '75%'])
    }
    await page.locator('[data-chart="adoption"] canvas').first().waitFor()

    // analyses: added and removed through the form
    const add = page.locator('form[aria-label="Add an item"]')
    await add.getByLabel('Title').fill('Rollout dashboard')
    await add.getByLabel('URL').fill('https://grafana.example/d/rollout')
    await add.getByLabel('Note').fill('error rate by region')
    await add.getByRole('button', { name: 'Add item' }).click()
    const item = page.locator('[data-analysis="Rollout dashboard"]')
    await item.waitFor()
    expect(await item.innerText()).toContain('error rate by region')
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true })
    await item.getByRole('button', { name: 'Remove Rollout dashboard' }).click()
    await item.waitFor({ state: 'detached' })

    // visibility on charts
    await page.locator('[data-visibility]').click()
    await expect
      .poll(() => page.locator('[data-visibility]').getAttribute('aria-pressed'))
      .toBe('false')
    expect((await system.api('GET', `/releases/${id}`)).visible_on_charts).toBe(false)

    // live: beta 3.1.0 reaches production; the report follows without a reload
    await system.deploy({
      product_name: 'beta',
      version: '3.1.0',
      environment_name: 'production',
      status: 'success',
    })
    await expect
      .poll(() => text(page, '[data-figure="reach"] strong'), { timeout: 10_000 })
      .toBe('100%')
    expect(await row('beta').locator('[data-reached]').innerText()).toBe('2 of 2 (100%)')
    await opened.noReload()
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows DORA figures equal to a hand-computed week', async () => {
    // 20–26 Jan 2026 (7 days), product "invoices", production. Commit times from build events:
    //   1.0.0 committed 20th 08:00, deployed 20th 10:00: lead 2 h
    //   1.1.0 committed 22nd 07:00, failed 22nd 09:00, deployed 22nd 09:45: lead 2 h 45 min;
    //         the failure recovered in 45 min
    //   1.2.0 committed 23rd 00:00, deployed 24th 00:00: lead 24 h; failed in staging 24th 01:00
    //         (not production: not counted)
    // Deployment frequency: 3 on 3 of 7 days = 3/7 = 0.43 / day. Lead time: median 2 h 45 min,
    // p90 2.75 h + 0.8 × (24 − 2.75) h = 19.75 h = 19 h 45 min, 3 samples. Change failure
    // rate: 1 failed of 4 = 25%. Recovery: median and p90 45 min, 1 recovered, 0 not yet.
    const t = (day: number, h: number, m = 0) =>
      new Date(Date.UTC(2026, 0, day, h, m)).toISOString()
    for (const [version, committed] of [
      ['1.0.0', t(20, 8)],
      ['1.1.0', t(22, 7)],
      ['1.2.0', t(23, 0)],
    ] as const) {
      await system.build({
        product_name: 'invoices',
        version,
        status: 'success',
        scm_committed_at: committed,
      })
    }
    const prod = (version: string, completed_at: string, status = 'success') =>
      system.deploy({
        product_name: 'invoices',
        version,
        environment_name: 'production',
        status,
        completed_at,
      })
    await prod('1.0.0', t(20, 10))
    await prod('1.1.0', t(22, 9), 'failed')
    await prod('1.1.0', t(22, 9, 45))
    await prod('1.2.0', t(24, 0))
    await system.deploy({
      product_name: 'invoices',
      version: '1.2.0',
      environment_name: 'staging',
      status: 'failed',
      completed_at: t(24, 1),
    })
    await until(
      'the week recorded',
      () => deploymentsOf('invoices'),
      (n) => n >= 4
    )

    const context = await newContext(browser, { token: system.token })
    const { page, problems } = await open(
      context,
      `${system.url}/dora?product=invoices&from=2026-01-20&to=2026-01-26`
    )
    const figure = (name: string) => page.locator(`[data-overall] [data-figure="${name}"]`)
    await figure('lead_time').waitFor()
    expect(await text(page, '[data-period]')).toContain(
      '2026-01-20 00:00 UTC to 2026-01-27 00:00 UTC (7 days)'
    )
    expect(await figure('deployment_frequency').locator('.value').innerText()).toBe('0.43 / day')
    expect(await figure('deployment_frequency').locator('.sub').innerText()).toBe(
      '3 deployments on 3 of 7 days'
    )
    expect(await figure('lead_time').locator('.value').innerText()).toBe('2 h 45 min')
    expect(await figure('lead_time').locator('.sub').innerText()).toBe(
      'median · 90th percentile 19 h 45 min · 3 samples'
    )
    expect(await figure('change_failure_rate').locator('.value').innerText()).toBe('25%')
    expect(await figure('change_failure_rate').locator('.sub').innerText()).toBe('1 failed of 4')
    expect(await figure('recovery_time').locator('.value').innerText()).toBe('45 min')
    expect(await figure('recovery_time').locator('.sub').innerText()).toBe(
      'median · 90th percentile 45 min · 1 recovered, 0 not yet'
    )
    // each definition is written next to its figure, as the API gives it
    const { definitions } = await system.api<{ definitions: Record<string, string> }>(
      'GET',
      '/metrics/dora?product=invoices&from=2026-01-20T00:00:00Z&to=2026-01-27T00:00:00Z'
    )
    for (const name of [
      'deployment_frequency',
      'lead_time',
      'change_failure_rate',
      'recovery_time',
    ]) {
      expect(await figure(name).locator('.definition').innerText()).toBe(definitions[name])
    }
    const product = page.locator('table[data-products] tr[data-product="invoices"]')
    expect(await product.locator('[data-figure="lead_time"]').innerText()).toBe(
      '2 h 45 min · 19 h 45 min (3)'
    )
    expect(await product.locator('[data-figure="change_failure_rate"]').innerText()).toBe(
      '25% (1 of 4)'
    )
    await page.screenshot({ path: join(SCREENSHOTS, 'dora.png'), fullPage: true })

    // a week with nothing to measure says so instead of showing zeros
    await page.goto(`${system.url}/dora?product=invoices&from=2026-02-02&to=2026-02-08`)
    await expect.poll(() => text(page, '[data-period]')).toContain('2026-02-02')
    expect(await figure('lead_time').locator('.value').innerText()).toBe('—')
    expect(await figure('lead_time').locator('.sub').innerText()).toBe(
      'no successful deployment in the period'
    )
    expect(await figure('change_failure_rate').locator('.value').innerText()).toBe('—')
    expect(problems).toEqual([])
    await context.close()
  })

  it('lets an admin change the settings of automatic releases, and tells anyone else why not', async () => {
    const reader = await system.api<{ token: string }>('POST', '/tokens', {
      name: 'e2e-writer',
      scopes: ['read', 'write'],
    })
    const refused = await newContext(browser, { token: reader.token })
    const other = await open(refused, `${system.url}/settings`)
    await other.page.locator('[data-refused]').waitFor()
    expect(await text(other.page, '[data-refused]')).toContain('lacks the "admin" scope')
    await refused.close()

    const context = await newContext(browser, { token: system.token })
    const { page } = await open(context, `${system.url}/settings`)
    await page.locator('[data-patterns]').waitFor()
    expect(await text(page, '[data-updated]')).toContain('Never changed')
    const form = page.locator('form[aria-label="Add a pattern"]')
    await form.getByLabel('Pattern').fill('canary')
    await form.getByRole('button', { name: 'Add pattern' }).click()
    await expect.poll(() => text(page, '[data-patterns]')).toContain('canary')
    expect(await text(page, '[data-updated]')).toContain('Last changed by')
    await page.getByRole('button', { name: 'Remove the pattern canary' }).click()
    await expect.poll(() => text(page, '[data-patterns]')).not.toContain('canary')
    const settings = await system.api('GET', '/settings/releases')
    expect(settings.exclude_patterns).not.toContain('canary')
    expect(settings.updated_by).toBeTruthy()
    await context.close()
  })

  it('pictures the timeline and the chart for the README, now that they hold every release above', async () => {
    const context = await newContext(browser, { token: system.token })
    const timeline = await open(context, `${system.url}/timeline`)
    await timeline.page.locator('[data-release-name="Checkout revamp"]').waitFor()
    // the release hidden from charts says so on the timeline, and has no marker
    expect(
      await timeline.page
        .locator('[data-release-name="Checkout revamp"] [data-hidden-from-charts]')
        .count()
    ).toBe(1)
    await timeline.page.screenshot({ path: join(SCREENSHOTS, 'timeline.png'), fullPage: true })
    const charts = await open(context, `${system.url}/charts`)
    const marker = charts.page.locator('[data-marker-name="Alpha 1"]')
    await marker.waitFor()
    expect(await charts.page.locator('[data-marker-name="Checkout revamp"]').count()).toBe(0)
    await marker.focus()
    await expect.poll(() => marker.locator('.tip').isVisible()).toBe(true)
    await charts.page.screenshot({ path: join(SCREENSHOTS, 'chart.png') })
    expect([...timeline.problems, ...charts.problems]).toEqual([])
    await context.close()
  })

  it('fits every new page on a 360 px phone', async () => {
    const phone = await newContext(browser, { token: system.token, width: 360, height: 780 })
    const { page } = await open(phone, `${system.url}/timeline`)
    const [first] = (
      await system.api<{ items: Array<{ id: string }> }>('GET', '/releases/timeline')
    ).items
    for (const path of [
      '/timeline',
      '/charts',
      `/releases/${first!.id}/report`,
      '/dora',
      '/settings',
    ]) {
      await page.goto(`${system.url}${path}`)
      await page.locator('h1').first().waitFor()
      await page.waitForTimeout(500)
      const tooWide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest('.table-wrap'))
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
      )
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      expect({ path, width, tooWide }).toEqual({ path, width: 360, tooWide: [] })
    }
    await phone.close()
  })
})
