/**
 * Which plan each endpoint's queries get. The gateway's own read functions run against a
 * connection that records the SQL and parameters they send, and each recorded statement is then
 * prepared and executed the way the gateway's driver does it (postgres.js prepares every
 * statement), five times first, because from the sixth execution Postgres may switch a prepared
 * statement to its generic plan: the EXPLAIN (ANALYZE, BUFFERS) that follows shows the plan the
 * gateway gets in steady state.
 */
import postgres from 'postgres'

export interface Explained {
  /** What the statement is for, given by the caller. */
  label: string
  sql: string
  /** Scans and joins, outermost first, e.g. "Index Scan using release_pkey on release". */
  nodes: string[]
  /** Just the indexes used and the tables scanned whole, e.g. "deployment_pkey ×3200, seq environment". */
  access: string
  executionMs: number
  planningMs: number
  sharedHit: number
  sharedRead: number
  generic: boolean
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Loops'?: number
  'Actual Rows'?: number
  'Sort Method'?: string
  'Join Type'?: string
  Plans?: PlanNode[]
}

type Sql = postgres.Sql

export interface Read {
  label: string
  read: (sql: Sql) => Promise<unknown>
}

/** Runs each read on a recording connection, then explains each statement it sent. */
export async function explainReads(url: string, reads: Read[]): Promise<Explained[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  const explained: Explained[] = []
  try {
    for (const { label, read } of reads) {
      const sent: Array<{ query: string; parameters: unknown[] }> = []
      const recorder = postgres(url, {
        max: 1,
        onnotice: () => {},
        debug: (_connection, query, parameters) => sent.push({ query, parameters }),
      })
      try {
        await read(recorder)
      } finally {
        await recorder.end({ timeout: 5 })
      }
      // the driver's own look-up of array types is not the endpoint's
      const own = sent.filter(({ query }) => !query.includes('pg_catalog.'))
      for (const [i, { query, parameters }] of own.entries()) {
        const name = own.length > 1 ? `${label} (${i + 1}/${own.length})` : label
        explained.push(await explainPrepared(sql, name, query, parameters))
      }
    }
    return explained
  } finally {
    await sql.end({ timeout: 5 })
  }
}

let prepared = 0

async function explainPrepared(
  sql: Sql,
  label: string,
  query: string,
  parameters: unknown[]
): Promise<Explained> {
  const name = `bench_plan_${++prepared}`
  const args = parameters.length ? `(${parameters.map(literal).join(', ')})` : ''
  return sql.begin(async (tx) => {
    await tx.unsafe(`prepare ${name} as ${query}`)
    for (let i = 0; i < 5; i++) await tx.unsafe(`execute ${name}${args}`)
    const [row] = await tx.unsafe<Array<{ 'QUERY PLAN': unknown }>>(
      `explain (analyze, buffers, format json) execute ${name}${args}`
    )
    await tx.unsafe(`deallocate ${name}`)
    const [plan] = row!['QUERY PLAN'] as Array<{
      Plan: PlanNode & { 'Shared Hit Blocks': number; 'Shared Read Blocks': number }
      'Execution Time': number
      'Planning Time': number
    }>
    const nodes: string[] = []
    const access: string[] = []
    walk(plan!.Plan, (node) => {
      nodes.push(describe(node))
      const loops = node['Actual Loops'] ?? 1
      if (node['Index Name']) access.push(`${node['Index Name']}${loops > 1 ? ` ×${loops}` : ''}`)
      else if (node['Node Type'] === 'Seq Scan') access.push(`seq ${node['Relation Name']!}`)
    })
    return {
      label,
      sql: query.replace(/\s+/g, ' ').trim(),
      nodes,
      access: access.join(', '),
      executionMs: plan!['Execution Time'],
      planningMs: plan!['Planning Time'],
      sharedHit: plan!.Plan['Shared Hit Blocks'],
      sharedRead: plan!.Plan['Shared Read Blocks'],
      generic: /\$\d/.test(JSON.stringify(plan)),
    }
  })
}

function walk(node: PlanNode, visit: (node: PlanNode) => void) {
  visit(node)
  for (const child of node.Plans ?? []) walk(child, visit)
}

function describe(node: PlanNode): string {
  const loops = node['Actual Loops'] ?? 1
  return [
    node['Node Type'],
    node['Join Type'] && node['Join Type'] !== 'Inner' ? `(${node['Join Type']})` : '',
    node['Index Name'] ? `using ${node['Index Name']}` : '',
    node['Relation Name'] ? `on ${node['Relation Name']}` : '',
    node['Sort Method'] ? `[${node['Sort Method']}]` : '',
    `rows=${node['Actual Rows'] ?? '?'}${loops > 1 ? ` ×${loops} loops` : ''}`,
  ]
    .filter(Boolean)
    .join(' ')
}

/** A parameter as postgres.js sent it (already text), as an SQL literal for EXECUTE. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return `'${text.replaceAll("'", "''")}'`
}
