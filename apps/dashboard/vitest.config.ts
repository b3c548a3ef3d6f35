/**
 * Unit tests of the dashboard's logic (the live sync engine, the stores that merge snapshots and
 * updates). Runes compile for the browser's runtime, run here in Node.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [svelte()],
  resolve: { conditions: ['browser'] },
  test: {
    name: 'dashboard',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
})
