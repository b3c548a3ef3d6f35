export * from './database.ts'
export * from './eventually.ts'
export * from './nats.ts'
export * from './proxy.ts'
