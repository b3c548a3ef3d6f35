/**
 * Light, dark, or whatever the system prefers (the default). The choice is kept in localStorage
 * and applied as `data-theme` on <html>; the CSS does the rest.
 */
export type ThemeChoice = 'system' | 'light' | 'dark'
const KEY = 'shiplog.theme'
const ORDER: ThemeChoice[] = ['system', 'light', 'dark']

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY)
    return v === 'light' || v === 'dark' ? v : 'system'
  } catch {
    return 'system'
  }
}

export class Theme {
  choice = $state<ThemeChoice>(stored())
  /** Changes whenever the colours may have (a choice, or the system's preference): canvases redraw. */
  changes = $state(0)

  constructor() {
    this.#apply()
    window
      .matchMedia?.('(prefers-color-scheme: dark)')
      .addEventListener('change', () => this.changes++)
  }

  next(): void {
    this.choice = ORDER[(ORDER.indexOf(this.choice) + 1) % ORDER.length]!
    try {
      localStorage.setItem(KEY, this.choice)
    } catch {
      // not kept: fine
    }
    this.#apply()
  }

  #apply(): void {
    if (this.choice === 'system') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = this.choice
    this.changes++
  }
}
