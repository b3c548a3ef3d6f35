import { defineConfig } from 'vitest/config'

const services = {
  globalSetup: ['packages/testing/src/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services}/*/src/**/*.test.ts'],
        },
      },
      {
        // Real Postgres and NATS JetStream; see packages/testing/src/global-setup.ts
        test: {
          name: 'integration',
          include: ['services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          ...services,
        },
      },
      // The dashboard's logic (live sync engine, stores), with its own config: Svelte compiles the
      // runes in its *.svelte.ts modules.
      'apps/dashboard/vitest.config.ts',
      {
        // The whole system as processes and the built dashboard in headless Chromium (Debian's
        // chromium, or CHROMIUM_PATH), on the servers the global setup finds.
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          globalSetup: services.globalSetup,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Shiplog as real processes on private servers, broken on purpose under load; minutes
        // long, so `pnpm test:faults` runs it (and .ci/run), not `pnpm test`. Needs no TEST_* URLs.
        test: {
          name: 'faults',
          include: ['faults/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
