import { describe, expect, it } from 'vitest'

import { inferEnvironmentType } from './environment.ts'

describe('inferEnvironmentType', () => {
  it.each([
    ['dev', 'dev'],
    ['local', 'dev'],
    ['sandbox-eu', 'dev'],
    ['test', 'test'],
    ['qa2', 'test'],
    ['integration', 'test'],
    ['staging', 'staging'],
    ['UAT', 'staging'],
    ['preprod', 'staging'],
    ['pre-prod', 'staging'],
    ['prod', 'production'],
    ['production-us-east', 'production'],
    ['live', 'production'],
    ['eu_prod_1', 'production'],
    ['canary', 'dev'],
  ])('%s is %s', (name, type) => {
    expect(inferEnvironmentType(name)).toBe(type)
  })

  it('does not read words inside other words', () => {
    expect(inferEnvironmentType('product-demo')).toBe('dev')
    expect(inferEnvironmentType('delivery')).toBe('dev')
  })
})
