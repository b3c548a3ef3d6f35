/**
 * Environment types and how a type is guessed from an environment's name.
 * The type orders the board's columns and decides what counts as "in production".
 */

export const EnvironmentType = {
  dev: 'dev',
  test: 'test',
  staging: 'staging',
  production: 'production',
} as const
export type EnvironmentType = (typeof EnvironmentType)[keyof typeof EnvironmentType]

export const ENVIRONMENT_TYPES = Object.values(EnvironmentType)

/** Column order on the board: earlier stages first. */
export const ENVIRONMENT_TYPE_RANK: Record<EnvironmentType, number> = {
  dev: 0,
  test: 1,
  staging: 2,
  production: 3,
}

const WORDS: ReadonlyArray<readonly [EnvironmentType, readonly string[]]> = [
  // staging first: "preprod" and "pre-prod" must not read as production
  ['staging', ['staging', 'stage', 'stg', 'uat', 'preprod', 'preproduction']],
  ['production', ['production', 'prod', 'prd', 'live']],
  ['test', ['test', 'testing', 'qa', 'integration', 'int']],
  ['dev', ['dev', 'development', 'local', 'sandbox']],
]

/**
 * Guesses the type from the name's words ("production-us-east" → production, "qa2" → test,
 * "pre-prod" → staging). Names that say nothing default to `dev`, the least privileged type;
 * an operator can change the type later.
 */
export function inferEnvironmentType(name: string): EnvironmentType {
  const words = name
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean)
  if (words.includes('pre') && words.some((w) => w === 'prod' || w === 'production')) {
    return 'staging'
  }
  for (const [type, names] of WORDS) {
    if (words.some((w) => names.includes(w))) return type
  }
  return 'dev'
}

/**
 * Board column order: an explicit display_order first (lower is further left), otherwise by
 * type (dev, test, staging, production), then by name.
 */
export function compareEnvironments(
  a: { name: string; type: EnvironmentType; display_order: number | null },
  b: { name: string; type: EnvironmentType; display_order: number | null }
): number {
  const key = (e: typeof a) => e.display_order ?? ENVIRONMENT_TYPE_RANK[e.type] * 1000
  return key(a) - key(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}
