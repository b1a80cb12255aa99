import type { Sql } from '../ddl.js'

/**
 * The schema's namespace oid and the oids of its relations (tables, views, sequences, indexes,
 * composite types) and of its types. pg_class and pg_type have no index that starts with the
 * namespace, so with a thousand tenants every filter on it reads the whole catalog: the readers
 * read these lists once and look their rows up by oid, through the catalogs' own indexes.
 */
export interface Members {
  nsp: number
  relations: number[]
  types: number[]
}

export async function readMembers(sql: Sql, nsp: number): Promise<Members> {
  const [row] = await sql<{ relations: number[]; types: number[] }>(
    `select array(select oid from pg_class where relnamespace = $1) as relations,
            array(select oid from pg_type where typnamespace = $1) as types`,
    [nsp],
  )
  return { nsp, relations: row.relations.map(Number), types: row.types.map(Number) }
}

/**
 * Catalog lookups by oid rather than scans: transaction-local, so nothing outlives the caller's
 * transaction. The planner would otherwise pick scans and hash joins of catalogs holding every
 * tenant's rows, to answer for one tenant's hundred, and start parallel workers (or JIT) for
 * queries that take a millisecond. Returns what puts the settings back.
 */
export async function preferIndexes(sql: Sql): Promise<() => Promise<void>> {
  const wanted: Record<string, string> = { enable_seqscan: 'off', enable_hashjoin: 'off', enable_mergejoin: 'off', jit: 'off', max_parallel_workers_per_gather: '0' }
  const names = Object.keys(wanted)
  const [before] = await sql<Record<string, string>>(
    `select ${names.map((n, i) => `current_setting($${2 * i + 1}) as ${n}, set_config($${2 * i + 1}, $${2 * i + 2}, true) as set_${n}`).join(', ')}`,
    names.flatMap((n) => [n, wanted[n]]),
  )
  return async () => {
    await sql(`select ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, names.flatMap((n) => [n, before[n]]))
  }
}
