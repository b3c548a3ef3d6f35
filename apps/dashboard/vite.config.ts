/**
 * Builds the dashboard into dist/ (served by the gateway at /), and in `pnpm dev` serves it with
 * hot reload, passing the API and the Socket.IO WebSocket through to the gateway on GATEWAY_PORT.
 */
import { fileURLToPath } from 'node:url'

import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig, type Plugin } from 'vite'

const gateway = `http://127.0.0.1:${process.env.GATEWAY_PORT ?? '3000'}`

export default defineConfig({
  // `pnpm dev` at the root runs Vite from the repository root with --config pointing here
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [svelte(), firstLoadWithoutZod()],
  build: {
    target: 'es2022',
    // small enough already; one file fewer to fetch on a wall screen's reload
    assetsInlineLimit: 8192,
  },
  server: {
    port: Number(process.env.DASHBOARD_PORT ?? 5173),
    strictPort: true,
    proxy: {
      '/api': { target: gateway, changeOrigin: true },
      '/socket.io': { target: gateway, ws: true, changeOrigin: true },
    },
  },
})

/**
 * The board's first load stays small (README, "Size"): contracts' zod schemas are for the services,
 * and one value imported from a module that defines them would pull zod (~30 KB gzipped) in.
 */
function firstLoadWithoutZod(): Plugin {
  return {
    name: 'shiplog:first-load-without-zod',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue
        const zod = chunk.moduleIds.filter((id) => /[/\\]node_modules[/\\].*zod[/\\]/.test(id))
        if (zod.length) {
          this.error(
            `zod reached the first load (${chunk.fileName}, through ${zod[0]}): import from ` +
              `@shiplog/contracts only types, or values from modules without schemas (live.ts)`
          )
        }
      }
    },
  }
}
