import type { Knex } from 'knex'

/** A key that must not come twice in one file, and how a repeat is reported. */
export interface RepeatedKey {
  /** The staging table to look in, read as `s` (a quoted staging name of ours). */
  from: string
  /** The key, an SQL expression over `s`: `s.f0`, `lower(s.f2)`, or several, comma-separated. */
  key: string
  /** Rows taking part: a condition over `s` (rows with no key, say, are left out). */
  where?: string
  /** The reported field and value (an SQL expression over `s`, or null). */
  field: string
  value: string
  /** The message, a fixed text of ours, given the first line's number as SQL text. */
  message: (firstLine: string) => string
}

/**
 * Reject, into the import's errors table, every row whose key an earlier row of the file has, naming
 * that first line: one statement over the staging table alone.
 *
 * The statement's shape is Citus's: on a schema-sharded tenant, Citus 13.2 sends an INSERT … SELECT
 * whose outer select list computes over a subquery's columns (`'…' || d.first`) to the worker with a
 * "distribution column IS NOT NULL" filter that a single-shard table has no column for, deparsed as
 * `( IS NOT NULL)`: a syntax error. So the message is built, with explicit casts, inside the
 * subquery, and the outer select only passes columns through (tried on a real cluster; see
 * docs/citus.md).
 */
export async function rejectRepeatedKeys(trx: Knex.Transaction, errors: string, spec: RepeatedKey): Promise<void> {
  const first = '(min(s.line) over by_key)'
  await trx.raw(`insert into ${errors} (line, field, value, message)
    select line, field, value, message from (
      select s.line, '${spec.field}'::text as field, (${spec.value})::text as value,
             (${spec.message(`${first}::text`)})::text as message, ${first} as first
        from ${spec.from} s
       ${spec.where ? `where ${spec.where}` : ''}
      window by_key as (partition by ${spec.key})) repeated
    where line <> first`)
}
