/**
 * Vitest global setup: find a real Postgres and a real NATS JetStream for the integration tests.
 * Order: TEST_DATABASE_URL / TEST_NATS_URL → testcontainers (where a Docker engine runs) → fail
 * with a message saying how to provide them. Never a mock.
 */
import type { TestProject } from 'vitest/node'

import './provided.ts'

const stops: Array<() => Promise<unknown>> = []

export async function setup(project: TestProject) {
  project.provide('databaseUrl', process.env.TEST_DATABASE_URL ?? (await startPostgres()))
  project.provide('natsUrl', process.env.TEST_NATS_URL ?? (await startNats()))
}

export async function teardown() {
  await Promise.all(stops.map((stop) => stop()))
}

async function requireDocker(variable: string) {
  const { getContainerRuntimeClient } = await import('testcontainers')
  try {
    await getContainerRuntimeClient()
  } catch {
    throw new Error(
      `No ${variable} and no Docker engine for testcontainers. Start the service yourself and set ${variable}, ` +
        'e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_NATS_URL=nats://127.0.0.1:4222 ' +
        '(the test run creates its own databases and NATS names and removes them afterwards).'
    )
  }
}

async function startPostgres(): Promise<string> {
  await requireDocker('TEST_DATABASE_URL')
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const pg = await new PostgreSqlContainer('postgres:15-alpine')
    .withCommand([
      'postgres',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'max_connections=300',
    ])
    .start()
  stops.push(() => pg.stop())
  return pg.getConnectionUri()
}

async function startNats(): Promise<string> {
  await requireDocker('TEST_NATS_URL')
  const { NatsContainer } = await import('@testcontainers/nats')
  const nats = await new NatsContainer('nats:2.10-alpine').withJetStream().start()
  stops.push(() => nats.stop())
  const { servers, user, pass } = nats.getConnectionOptions()
  return `nats://${user}:${pass}@${String(servers)}`
}
