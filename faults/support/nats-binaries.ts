/**
 * Which nats-server binary to run. The system's (Debian bookworm ships 2.9.10) is what CI and
 * most installs have; the "safe" durability profile needs `sync_interval`, which only 2.10+ has,
 * so a 2.10 binary is taken from Debian trixie's package: downloaded once, checked against its
 * known SHA-256, unpacked with dpkg-deb and cached outside the repository's sources.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { run } from './children.ts'
import { REPO_ROOT } from './paths.ts'

/** The nats-server on this machine: `SHIPLOG_NATS_SERVER` (set by .ci/run), else the PATH's. */
export function systemNatsServer(): string {
  const fromEnv = process.env.SHIPLOG_NATS_SERVER
  if (fromEnv) return fromEnv
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/usr/local/bin')) {
    const candidate = join(dir, 'nats-server')
    if (dir && existsSync(candidate)) return candidate
  }
  throw new Error(
    'no nats-server found: install it (`apt-get install nats-server`) or set SHIPLOG_NATS_SERVER'
  )
}

export function natsServerVersion(binary: string): string {
  const out = run(binary, ['--version'])
  return /v?(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim()
}

/** True when this server understands `jetstream { sync_interval }` (2.10 and later). */
export function hasSyncInterval(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 2 || (major === 2 && minor >= 10)
}

const NATS_210 = {
  version: '2.10.27',
  url: 'http://deb.debian.org/debian/pool/main/n/nats-server/nats-server_2.10.27-1+b2_amd64.deb',
  sha256: '6d913ac987b78734c08537c2adeb1526cf735f216173a9170d94b185fcfe6f8a',
} as const

/**
 * A nats-server 2.10 binary, fetched on first use into node_modules/.cache. Throws a one-line
 * reason when it cannot be had (no network, not amd64, no dpkg-deb), for the caller to print.
 */
export async function natsServer210(): Promise<string> {
  const cache = join(
    REPO_ROOT,
    'node_modules',
    '.cache',
    'shiplog',
    `nats-server-${NATS_210.version}`
  )
  const binary = join(cache, 'usr', 'sbin', 'nats-server')
  if (existsSync(binary)) return binary
  if (process.arch !== 'x64') {
    throw new Error(`the cached 2.10 package is amd64, this is ${process.arch}`)
  }
  let deb: Buffer
  try {
    const res = await fetch(NATS_210.url, { signal: AbortSignal.timeout(60_000) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    deb = Buffer.from(await res.arrayBuffer())
  } catch (err) {
    throw new Error(
      `could not download nats-server ${NATS_210.version} (${(err as Error).message})`,
      { cause: err }
    )
  }
  const sha = createHash('sha256').update(deb).digest('hex')
  if (sha !== NATS_210.sha256) {
    throw new Error(`nats-server ${NATS_210.version} package checksum mismatch (${sha})`)
  }
  mkdirSync(cache, { recursive: true })
  const file = join(cache, 'package.deb')
  writeFileSync(file, deb)
  try {
    run('dpkg-deb', ['-x', file, cache])
  } catch (err) {
    throw new Error(`could not unpack nats-server ${NATS_210.version}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (!existsSync(binary)) {
    throw new Error(
      `nats-server ${NATS_210.version} package has no usr/sbin/nats-server (${readdirSync(cache).join(', ')})`
    )
  }
  return binary
}
