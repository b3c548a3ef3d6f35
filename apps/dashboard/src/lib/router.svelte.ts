/**
 * A small history router: the URL is the state (filters live in its query, so a wall screen's
 * bookmark restores its view), links are ordinary <a href>, and the gateway answers any page path
 * with index.html. Routes are a table: a page is one line.
 */
export type RouteName =
  | 'board'
  | 'releases'
  | 'release'
  | 'report'
  | 'timeline'
  | 'charts'
  | 'dora'
  | 'settings'
  | 'product'
  | 'feed'
  | 'not_found'

const ROUTES: ReadonlyArray<readonly [RegExp, RouteName]> = [
  [/^\/$/, 'board'],
  [/^\/releases\/?$/, 'releases'],
  [/^\/releases\/([^/]+)\/?$/, 'release'],
  [/^\/releases\/([^/]+)\/report\/?$/, 'report'],
  [/^\/timeline\/?$/, 'timeline'],
  [/^\/charts\/?$/, 'charts'],
  [/^\/dora\/?$/, 'dora'],
  [/^\/settings\/?$/, 'settings'],
  [/^\/products\/([^/]+)\/?$/, 'product'],
  [/^\/feed\/?$/, 'feed'],
]

export interface Route {
  name: RouteName
  /** The path's captured part (a release or product id). */
  param: string
  /** Changes whenever the page (not just its query) changes: pages are keyed by it. */
  key: string
}

export function match(pathname: string): Route {
  for (const [re, name] of ROUTES) {
    const m = re.exec(pathname)
    if (m) {
      const param = m[1] ? decodeURIComponent(m[1]) : ''
      return { name, param, key: `${name}:${param}` }
    }
  }
  return { name: 'not_found', param: '', key: `not_found:${pathname}` }
}

export class Router {
  url = $state.raw(new URL(window.location.href))
  readonly route: Route = $derived(match(this.url.pathname))
  readonly query: URLSearchParams = $derived(this.url.searchParams)

  constructor() {
    window.addEventListener('popstate', () => (this.url = new URL(window.location.href)))
    document.addEventListener('click', (event) => this.#click(event))
  }

  navigate(href: string, options: { replace?: boolean } = {}): void {
    const url = new URL(href, window.location.href)
    if (options.replace) history.replaceState(null, '', url)
    else history.pushState(null, '', url)
    const samePage = url.pathname === this.url.pathname
    this.url = url
    if (!samePage) window.scrollTo(0, 0)
  }

  /** Changes query parameters in place (empty values are removed), without a history entry. */
  setQuery(changes: Record<string, string | null | undefined>): void {
    const url = new URL(this.url)
    for (const [k, v] of Object.entries(changes)) {
      if (v) url.searchParams.set(k, v)
      else url.searchParams.delete(k)
    }
    this.navigate(url.pathname + url.search + url.hash, { replace: true })
  }

  /** Same-origin links are handled here; new tabs, downloads and modified clicks are not. */
  #click(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    const a = (event.target as Element | null)?.closest('a')
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return
    const url = new URL(a.href, window.location.href)
    if (url.origin !== window.location.origin || url.pathname.startsWith('/api/')) return
    event.preventDefault()
    this.navigate(url.pathname + url.search + url.hash)
  }
}
