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
  options: {
    token?: string
    colorScheme?: 'light' | 'dark'
    width?: number
    height?: number
    /** The browser's time zone (date inputs are local); the machine's when not given. */
    timezoneId?: string
  } = {}
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
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

/**
 * Starts watching the page for an element matching `selector` (and containing `text`): returns a
 * function that resolves with the page's clock (ms since the epoch) at the DOM change that made
 * it appear. The page notes the moment itself (a MutationObserver), so the time does not depend
 * on how often a background tab gets animation frames, and watching starts before the action.
 */
export async function watch(
  page: Page,
  selector: string,
  text?: string
): Promise<(timeout?: number) => Promise<number>> {
  const key = `${selector}|${text ?? ''}`
  await page.evaluate(
    ([key, selector, text]) => {
      const w = window as unknown as { e2eSeen?: Record<string, number> }
      const seen = (w.e2eSeen ??= {})
      const holds = () =>
        [...document.querySelectorAll(selector)].some(
          (el) => text === '' || (el.textContent ?? '').includes(text)
        )
      if (holds()) {
        seen[key] = Date.now()
        return
      }
      const observer = new MutationObserver(() => {
        if (!holds()) return
        seen[key] = Date.now()
        observer.disconnect()
      })
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      })
    },
    [key, selector, text ?? ''] as const
  )
  return async (timeout = 15_000) => {
    const handle = await page.waitForFunction(
      (key) => (window as unknown as { e2eSeen?: Record<string, number> }).e2eSeen?.[key],
      key,
      { timeout, polling: 50 }
    )
    return (await handle.jsonValue()) as number
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
