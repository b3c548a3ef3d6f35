/**
 * Loaded into the gateway by `pnpm bench:live` (node --expose-gc --import), never by Shiplog
 * itself: on SIGUSR2 it collects garbage and writes the process's memory to $BENCH_MEMORY_FILE,
 * so the benchmark can read live heap per connection from outside without changing the gateway.
 */
import { renameSync, writeFileSync } from 'node:fs'

const file = process.env.BENCH_MEMORY_FILE
const gc = (globalThis as { gc?: () => void }).gc

if (file && gc) {
  process.on('SIGUSR2', () => {
    gc()
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()))
    // the reader only ever sees a complete file
    renameSync(`${file}.tmp`, file)
  })
}
