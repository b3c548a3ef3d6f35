/**
 * The dashboard against the real system, in a real browser: a deployment posted to ingest shows
 * on the open board and release pages without a reload, and a restarted gateway is reconnected
 * to and caught up with. The README's screenshots are taken here, so they show what really runs.
 */
/// <reference lib="dom" />
// (the functions given to page.evaluate and waitForFunction run in the page)
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { deploymentId } from '@shiplog/contracts'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, newContext, open } from './support/browser.ts'
import { ROOT, startSystem, type System } from './support/system.ts'

const SCREENSHOTS = join(ROOT, 'docs', 'screenshots')
/** "Within a blink": generous for a loaded 2-core CI machine; the measured times are printed. */
const BLINK_MS = Number(process.env.E2E_BLINK_MS ?? 3000)

let system: System
let browser: Browser

beforeAll(async () => {
  ;[system, browser] = await Promise.all([startSystem(), launchBrowser()])
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await system?.stop()
})

/** A board cell: its element, and what it says. */
const boardCell = (page: Page, product: string, environment: string) =>
  page.locator(`tr[data-product="${product}"] td[data-environment="${environment}"]`)
const matrixCell = (page: Page, product: string, environment: string) =>
  page.locator(`table.matrix tr[data-product="${product}"] td[data-environment="${environment}"]`)

/**
 * Resolves when the element matching `selector` has `attribute` = `value` (any value when
 * undefined) and, if given, contains `text`; returns the ms from `since` to that DOM change. The
 * page itself notes the moment (a MutationObserver), so the time does not depend on how often a
 * background tab gets animation frames.
 */
async function shows(
  page: Page,
  selector: string,
  attribute: string,
  value: string | undefined,
  since: number,
  text?: string
): Promise<number> {
  const at = await page.evaluate(
    ([selector, attribute, value, text]) =>
      new Promise<number>((resolve, reject) => {
        const holds = () => {
          const el = document.querySelector(selector)
          if (!el) return false
          const actual = el.getAttribute(attribute)
          return (
            (value === undefined ? actual !== null : actual === value) &&
            (text === undefined || (el.textContent ?? '').includes(text))
          )
        }
        if (holds()) return resolve(Date.now())
        const timer = setTimeout(() => {
          observer.disconnect()
          reject(new Error(`${selector} never showed ${attribute}=${value ?? '*'} ${text ?? ''}`))
        }, 15_000)
        const observer = new MutationObserver(() => {
          if (!holds()) return
          observer.disconnect()
          clearTimeout(timer)
          resolve(Date.now())
        })
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          characterData: true,
        })
      }),
    [selector, attribute, value, text] as const
  )
  return at - since
}

async function waitForDeployments(count: number) {
  const deadline = Date.now() + 30_000
  for (;;) {
    const page = await system.api<{ items: unknown[] }>('GET', '/deployments?limit=500')
    if (page.items.length >= count) return
    if (Date.now() > deadline) {
      throw new Error(`only ${page.items.length} of ${count} deployments recorded`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** A board with something in every state, as a wall would show it. */
async function seed() {
  const envs = ['dev', 'test', 'staging', 'production']
  const products: Array<[string, string]> = [
    ['api-gateway', '3.0.1'],
    ['checkout', '2.4.1'],
    ['notifications', '2.1.0'],
    ['payments', '1.8.2'],
    ['user-service', '1.2.3'],
  ]
  let n = 0
  for (const [product, version] of products) {
    for (const environment of envs) {
      await system.deploy({
        product_name: product,
        version,
        environment_name: environment,
        status: 'success',
        deployed_by: 'ci-bot',
        scm_sha: `${product.length}${version.replaceAll('.', '')}aa11bb22cc33`,
      })
      n++
    }
  }
  const more = [
    {
      product_name: 'checkout',
      version: '2.5.0',
      environment_name: 'dev',
      status: 'success',
      deployed_by: 'alice',
    },
    {
      product_name: 'checkout',
      version: '2.5.0',
      environment_name: 'test',
      status: 'success',
      deployed_by: 'alice',
    },
    {
      product_name: 'checkout',
      version: '2.5.0',
      environment_name: 'staging',
      status: 'success',
      deployed_by: 'alice',
    },
    {
      product_name: 'payments',
      version: '1.9.0',
      environment_name: 'dev',
      status: 'success',
      deployed_by: 'bob',
    },
    {
      product_name: 'payments',
      version: '1.9.0',
      environment_name: 'test',
      status: 'failed',
      deployed_by: 'bob',
    },
    {
      product_name: 'user-service',
      version: '1.3.0',
      environment_name: 'dev',
      status: 'started',
      deployed_by: 'carol',
    },
  ]
  for (const event of more) await system.deploy(event)
  await waitForDeployments(n + more.length)

  const release = await system.api<{ id: string }>('POST', '/releases', {
    name: 'Checkout 2.5',
    description: 'New checkout flow with the payments retry fix.',
    status: 'draft',
    extra_metadata: {
      jira_epic: 'SHIP-42',
      release_manager: 'jane@example.com',
      target_date: '2026-12-01',
    },
  })
  for (const [product_name, version] of [
    ['checkout', '2.5.0'],
    ['payments', '1.9.0'],
    ['notifications', '2.1.0'],
  ]) {
    await system.api('POST', `/releases/${release.id}/versions`, { product_name, version })
  }
  return release.id
}

describe('the dashboard, live', () => {
  let releaseId: string

  it('shows a deployment posted to ingest on every open page within a blink, without a reload', async () => {
    releaseId = await seed()
    const checkout = (await system.api<{ id: string }>('GET', '/products/checkout')).id
    const context = await newContext(browser, { token: system.token })
    const board = await open(context, `${system.url}/`)
    const release = await open(context, `${system.url}/releases/${releaseId}`)
    const releases = await open(context, `${system.url}/releases`)
    const product = await open(context, `${system.url}/products/${checkout}`)
    const feed = await open(context, `${system.url}/feed`)
    const pages = [board, release, releases, product, feed]
    for (const { page } of pages) {
      await page.locator('[data-live="live"]').waitFor({ timeout: 20_000 })
    }
    await expect
      .poll(() => boardCell(board.page, 'checkout', 'production').textContent())
      .toContain('2.4.1')
    await expect
      .poll(() => matrixCell(release.page, 'checkout', 'production').getAttribute('data-state'))
      .toBe('not_deployed')
    expect(
      await release.page
        .locator('[data-release-status]')
        .first()
        .getAttribute('data-release-status')
    ).toBe('draft')
    await feed.page.locator('tr[data-deployment]').first().waitFor()
    await product.page.locator('[data-environment="production"] [data-status]').waitFor()

    const BOARD_CELL = 'tr[data-product="checkout"] td[data-environment="production"] [data-status]'
    const MATRIX_CELL = 'table.matrix tr[data-product="checkout"] td[data-environment="production"]'
    const PRODUCT_CELL = '.env[data-environment="production"] [data-status]'
    const LIST_STATUS = 'tr[data-release="Checkout 2.5"] [data-release-status]'
    const feedRow = `tr[data-deployment="${deploymentId('checkout', '2.5.0', 'production')}"]`

    // the CD tool starts deploying checkout 2.5.0 to production
    let posted = Date.now()
    await system.deploy({
      product_name: 'checkout',
      version: '2.5.0',
      environment_name: 'production',
      status: 'started',
      deployed_by: 'deploy-bot',
    })
    const started = await Promise.all([
      shows(board.page, BOARD_CELL, 'data-status', 'started', posted, '2.5.0'),
      shows(release.page, MATRIX_CELL, 'data-state', 'in_progress', posted),
      shows(product.page, PRODUCT_CELL, 'data-status', 'started', posted, '2.5.0'),
      shows(feed.page, feedRow, 'data-deployment', undefined, posted, 'in progress'),
      // a deployment of one of its versions started: the release left draft by itself
      shows(releases.page, LIST_STATUS, 'data-release-status', 'in_progress', posted),
    ])
    // while it deploys, the board says what still runs there
    expect(
      await boardCell(board.page, 'checkout', 'production')
        .locator('[data-last-good]')
        .textContent()
    ).toContain('2.4.1')
    await expect
      .poll(() =>
        release.page.locator('[data-release-status]').first().getAttribute('data-release-status')
      )
      .toBe('in_progress')

    // and it finishes
    posted = Date.now()
    await system.deploy({
      product_name: 'checkout',
      version: '2.5.0',
      environment_name: 'production',
      status: 'success',
      deployed_by: 'deploy-bot',
    })
    const done = await Promise.all([
      shows(board.page, BOARD_CELL, 'data-status', 'completed', posted),
      shows(release.page, MATRIX_CELL, 'data-state', 'deployed', posted),
      shows(product.page, PRODUCT_CELL, 'data-status', 'completed', posted),
      shows(feed.page, feedRow, 'data-deployment', undefined, posted, 'deployed'),
      shows(
        releases.page,
        'tr[data-release="Checkout 2.5"]',
        'data-release',
        undefined,
        posted,
        '2 of 3 in production'
      ),
    ])
    const names = ['board', 'release', 'product', 'feed', 'releases list']
    console.log(
      `POST → visible (started; completed): ${names.map((n, i) => `${n} ${started[i]}; ${done[i]} ms`).join(', ')}`
    )
    for (const ms of [...started, ...done]) expect(ms).toBeLessThan(BLINK_MS)

    // the rest of the page followed too: counts per environment, the deployments list, history
    await expect
      .poll(() => release.page.locator('tfoot td[data-environment="production"]').textContent())
      .toContain('✅ 2')
    await expect.poll(() => release.page.getByText('deploy-bot').count()).toBeGreaterThan(0)
    expect(
      await boardCell(board.page, 'checkout', 'production').locator('[data-last-good]').count()
    ).toBe(0)

    for (const p of pages) await p.noReload()
    expect(pages.flatMap((p) => p.problems)).toEqual([])

    // the README's pictures: taken now, from what the test just saw
    mkdirSync(SCREENSHOTS, { recursive: true })
    await board.page.screenshot({ path: join(SCREENSHOTS, 'board.png'), fullPage: true })
    await release.page.screenshot({ path: join(SCREENSHOTS, 'release.png'), fullPage: true })
    await context.close()

    const wall = await newContext(browser, {
      token: system.token,
      colorScheme: 'dark',
      width: 1920,
      height: 1080,
    })
    const wallBoard = await open(wall, `${system.url}/?wall=1`)
    await wallBoard.page.locator('tr[data-product="checkout"]').waitFor()
    await wallBoard.page.screenshot({ path: join(SCREENSHOTS, 'board-wall-dark.png') })
    const phone = await newContext(browser, { token: system.token, width: 360, height: 780 })
    const phoneRelease = await open(phone, `${system.url}/releases/${releaseId}`)
    await phoneRelease.page.locator('table.matrix').waitFor()
    // the page is as wide as the phone: wide tables scroll in their own box
    const width = await phoneRelease.page.evaluate(() => document.documentElement.scrollWidth)
    const tooWide = await phoneRelease.page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest('.table-wrap'))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
    )
    expect({ width, tooWide }).toEqual({ width: 360, tooWide: [] })
    await Promise.all([wall.close(), phone.close()])
  })

  it('reconnects to a restarted gateway and catches up with what happened meanwhile', async () => {
    const context = await newContext(browser, { token: system.token })
    const board = await open(context, `${system.url}/`)
    await board.page.locator('[data-live="live"]').waitFor({ timeout: 20_000 })
    await expect
      .poll(() => boardCell(board.page, 'notifications', 'staging').textContent())
      .toContain('2.1.0')

    await system.gateway.stop()
    await board.page
      .locator('[data-live="offline"], [data-live="connecting"]')
      .waitFor({ timeout: 20_000 })

    // deployments while the gateway is away: no one is there to push them
    await system.deploy({
      product_name: 'notifications',
      version: '2.2.0',
      environment_name: 'staging',
      status: 'success',
    })
    await system.deploy({
      product_name: 'search',
      version: '0.1.0',
      environment_name: 'staging',
      status: 'success',
    })
    await new Promise((r) => setTimeout(r, 1000))

    await system.gateway.start()
    await board.page.locator('[data-live="live"]').waitFor({ timeout: 30_000 })
    // the snapshot after reconnecting brings both: a changed cell and a new product row
    await expect
      .poll(() => boardCell(board.page, 'notifications', 'staging').textContent(), {
        timeout: 15_000,
      })
      .toContain('2.2.0')
    await expect
      .poll(() => boardCell(board.page, 'search', 'staging').textContent(), { timeout: 15_000 })
      .toContain('0.1.0')

    // and it is subscribed again: the next deployment arrives live
    const posted = Date.now()
    await system.deploy({
      product_name: 'notifications',
      version: '2.3.0',
      environment_name: 'staging',
      status: 'failed',
    })
    const ms = await shows(
      board.page,
      'tr[data-product="notifications"] td[data-environment="staging"] [data-status]',
      'data-status',
      'failed',
      posted
    )
    console.log(`after the gateway restart, POST → visible: ${ms} ms`)
    expect(ms).toBeLessThan(BLINK_MS)
    expect(
      await boardCell(board.page, 'notifications', 'staging')
        .locator('[data-last-good]')
        .textContent()
    ).toContain('2.2.0')

    await board.noReload()
    await context.close()
  })

  it('asks for a token when the server wants one, and goes live once it is pasted', async () => {
    const context = await newContext(browser)
    const board = await open(context, `${system.url}/`)
    const dialog = board.page.locator('dialog[open]')
    await dialog.waitFor({ timeout: 15_000 })
    expect(await dialog.textContent()).toContain('read')
    await expect.poll(() => board.page.getByRole('alert').first().textContent()).toContain('401')

    await dialog.getByLabel('Token').fill(system.token)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await board.page.locator('[data-live="live"]').waitFor({ timeout: 20_000 })
    await expect
      .poll(() => boardCell(board.page, 'checkout', 'production').textContent())
      .toContain('2.5.0')
    expect(await board.page.evaluate(() => localStorage.getItem('shiplog.token'))).toBe(
      system.token
    )
    await board.noReload()
    await context.close()
  })
})
