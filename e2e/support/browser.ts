/**
 * Headless Chromium for the browser tests: Debian's `chromium` (never a downloaded build), driven
 * by playwright-core, with a fresh profile per launch. Pages get the token the way a person gives
 * it (localStorage, as the token dialog saves it) and a marker that a reload would wipe out.
 */
/// <reference lib="dom" />
// (the functions given to page.evaluate and waitForFunction run in the page)
import { existsSync } from 'node:fs'

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`
    )
  }
  // launch() gives every browser a fresh temporary profile (--user-data-dir) and removes it after
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  })
}

export async function newContext(
  browser: Browser,
  options: { token?: string; colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  })
  if (options.token) {
    await context.addInitScript((token) => {
      if (!localStorage.getItem('shiplog.token')) localStorage.setItem('shiplog.token', token)
    }, options.token)
  }
  return context
}

/** Opens a page and leaves a marker in it: `noReload` fails if the page was loaded again since. */
export async function open(context: BrowserContext, url: string) {
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  await page.goto(url)
  const marker = Math.random()
  await page.evaluate((m) => ((window as unknown as { e2eMarker: number }).e2eMarker = m), marker)
  return {
    page,
    problems,
    async noReload() {
      const now = await page.evaluate(() => (window as unknown as { e2eMarker?: number }).e2eMarker)
      if (now !== marker) throw new Error('the page was reloaded')
    },
  }
}

export const liveState = (page: Page) =>
  page.locator('[data-live]').first().getAttribute('data-live')

/**
 * Waits until `predicate` holds in the page, checked on every animation frame, and returns how
 * long that took from `since` (ms since the epoch, in this process's clock).
 */
export async function timeUntil(
  page: Page,
  predicate: () => boolean,
  since: number,
  timeout = 15_000
): Promise<number> {
  await page.waitForFunction(predicate, undefined, { polling: 'raf', timeout })
  return Date.now() - since
}
