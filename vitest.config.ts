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
    ],
  },
})
