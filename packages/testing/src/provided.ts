/** What the global setup provides to every test file (vitest `inject`). */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    natsUrl: string
  }
}

export {}
