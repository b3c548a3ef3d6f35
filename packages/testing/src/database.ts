/**
 * A database of its own for each test file, created from the server the global setup found.
 */
import { randomBytes } from 'node:crypto'

import postgres from 'postgres'
import { inject } from 'vitest'

import './provided.ts'

export interface TestDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

export async function createTestDatabase(prefix = 'shiplog_t'): Promise<TestDatabase> {
  const server = inject('databaseUrl')
  const name = `${prefix}_${randomBytes(5).toString('hex')}`
  const admin = postgres(server, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(server, { max: 1, onnotice: () => {} })
      await sql.unsafe(`drop database if exists "${name}" with (force)`)
      await sql.end()
    },
  }
}
