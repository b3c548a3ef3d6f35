/**
 * Who the dashboard is to the API: the token a person pasted (kept in localStorage), or none when
 * the operator allows anonymous reads. A 401 from the API or the live connection asks for one.
 */
const KEY = 'shiplog.token'

function stored(): string | null {
  try {
    return localStorage.getItem(KEY)
  } catch {
    return null // storage disabled: the token lasts as long as the page
  }
}

export class Session {
  token = $state<string | null>(stored())
  /** Set when the server refused us: why, in its words. The token dialog opens while it is set. */
  refusal = $state<string | null>(null)
  /** Whether the person opened the token dialog themselves. */
  editing = $state(false)
  readonly #changed = new Set<() => void>()

  /** Runs `fn` whenever the token changes (reconnect, refetch). */
  onChange(fn: () => void): void {
    this.#changed.add(fn)
  }

  setToken(token: string | null): void {
    const value = token?.trim() || null
    try {
      if (value) localStorage.setItem(KEY, value)
      else localStorage.removeItem(KEY)
    } catch {
      // storage disabled: keep it in memory only
    }
    this.token = value
    this.refusal = null
    this.editing = false
    for (const fn of this.#changed) fn()
  }

  refused(message: string): void {
    this.refusal = message
  }
}
