/**
 * The dashboard's single instances, made once at startup: session (token), API client, live sync
 * engine and its connection, router, theme, what the install says about itself. Pages import
 * them from here.
 */
import { createApi, isTransient } from './api.ts'
import { Info } from './info.svelte.ts'
import { Connection } from './live/connection.svelte.ts'
import { LiveSync } from './live/sync.ts'
import { Router } from './router.svelte.ts'
import { Session } from './session.svelte.ts'
import { Theme } from './theme.svelte.ts'

export const session = new Session()

export const api = createApi({
  token: () => session.token,
  unauthorized: (error) => session.refused(error.message),
})

export const sync = new LiveSync({ retryable: isTransient })

export const connection = new Connection(sync, session)

export const router = new Router()

export const theme = new Theme()

export const info = new Info(api)

session.onChange(() => {
  connection.reconnect()
  sync.refreshAll()
})
