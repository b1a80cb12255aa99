import type { Knex } from 'knex'

import { conflict } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../db/identifiers.js'
import { sqlStateOf } from '../db/sqlstate.js'

/**
 * Bulk load, as pgloader does it: for an insert that is large next to its table, the table's
 * secondary indexes and its unique, exclusion and foreign-key constraints are dropped inside the
 * caller's transaction, the rows inserted, and everything recreated under the same names from the
 * definitions the catalog gave (pg_get_indexdef / pg_get_constraintdef). One sort per index and one
 * set-based check per foreign key cost less than half of maintaining them row by row (1M products
 * with prices into an empty tenant: 25.6 s → 10.7 s). DDL is transactional: a failed or killed import
 * rolls all of it back.
 *
 * The price: DROP INDEX takes ACCESS EXCLUSIVE on the table until commit, so other sessions can
 * neither read nor write it meanwhile (dropping a foreign key also locks the table it references
 * against writes). Hence only for loads that are large next to what is already there (an initial
 * load, a catalogue replaced), only when the current role owns the table, and never when the
 * operator asks for an online import (`--no-bulk-load`).
 */

/** Import options shared by the entities that bulk-load. */
export interface BulkLoadOption {
  /** false: keep every index in place whatever the size (the tables stay readable; slower). */
  bulkLoad?: boolean
}

/**
 * The smallest insert worth a bulk load. Into an empty tenant (products with prices, PG 15, ms for
 * products + prices, bulk vs incremental) it pays from about 5,000 rows: 2k 121 vs 51, 5k 85 vs
 * 125, 20k 220 vs 500, 50k 630 vs 1,325. Below some tens of thousands the gain is a few hundred
 * milliseconds, which is not worth locking the table: imports that small keep it readable.
 * The other bound, at least as many new rows as the table holds, is conservative too: against
 * 200k rows the bulk load still wins at 100k new (2.4 s vs 4.4 s) and breaks even near 50k
 * (1.5 s vs 1.3 s); requiring the table to at least double keeps the lock to initial and
 * catalogue-sized loads, where most of the table is new anyway.
 */
export const BULK_LOAD_MIN_ROWS = 20_000

export interface BulkInsert {
  /** The table the insert adds rows to: a fixed name of ours, resolved through search_path. */
  table: string
  /** `select from …`: the rows the insert reads (counted to size the load). */
  source: string
  /** `select from …`: those of them the insert skips because they are already in the table, if any. */
  skipped?: string
  /** false: the operator asked for an online import (--no-bulk-load). */
  enabled?: boolean
  trace?: (what: string) => void
}

/**
 * Run `insert` (one set-based INSERT … SELECT into `plan.table`), around a bulk load when that
 * pays (see shouldBulkLoad), otherwise as it is.
 */
export async function insertInBulk<T>(trx: Knex.Transaction, plan: BulkInsert, insert: () => Promise<T>): Promise<T> {
  if (!(await shouldBulkLoad(trx, plan))) return insert()
  return withIndexesDropped(trx, plan.table, insert, plan.trace)
}

/**
 * Run `load` with the table's secondary indexes and constraints dropped; then recreate them all
 * and analyze the table. The caller has decided that a bulk load pays and is allowed (bulkLoadAllowed).
 */
export async function withIndexesDropped<T>(trx: Knex.Transaction, table: string, load: () => Promise<T>, trace?: (what: string) => void): Promise<T> {
  const saved = await dropSecondaryIndexes(trx, table)
  trace?.(`${table}: bulk load, ${saved.length} indexes and constraints dropped`)
  const result = await load()
  trace?.(`${table}: rows loaded`)
  await recreate(trx, table, saved)
  trace?.(`${table}: indexes and constraints rebuilt`)
  // The table is mostly new rows now: without fresh statistics the next statements (the prices'
  // join, the next import's counts) are planned for the table it was (1M prices: 10 s instead of 3).
  await trx.raw(`analyze ${quoteIdent(table)}`)
  trace?.(`${table}: analyzed`)
  return result
}

/** How many rows a `select from …` query gives, counting no further than `limit`. */
async function countRows(trx: Knex.Transaction, query: string, limit?: number): Promise<number> {
  const { rows } = await trx.raw(`select count(*)::int as n from (${query}${limit === undefined ? '' : ` limit ${Math.floor(limit)}`}) x`)
  return rows[0].n
}

/**
 * A bulk load pays when the insert adds at least BULK_LOAD_MIN_ROWS rows and at least as many as
 * the table holds: rebuilding sorts old and new rows alike, so against a big table a small insert
 * is cheaper row by row. It must also be allowed: the current role owns the table (tenant tables
 * belong to the tenant's owner role; admins act as it, tenant logins are members of it) and the
 * table is a plain one (no partitions or inheritance, whose indexes hang together).
 * The counts are bounded, so deciding costs at most a scan of what is being loaded.
 */
async function shouldBulkLoad(trx: Knex.Transaction, plan: BulkInsert): Promise<boolean> {
  if (plan.enabled === false) return false
  const candidates = await countRows(trx, plan.source)
  if (candidates < BULK_LOAD_MIN_ROWS) return false
  if (!(await bulkLoadAllowed(trx, plan.table))) return false
  const held = await countRows(trx, `select from ${quoteIdent(plan.table)}`, candidates + 1)
  const needed = Math.max(BULK_LOAD_MIN_ROWS, held)
  if (candidates < needed) return false
  // The insert adds candidates − skipped rows: enough unless more than candidates − needed are skipped.
  if (held === 0 || !plan.skipped) return true
  const spare = candidates - needed
  return (await countRows(trx, plan.skipped, spare + 1)) <= spare
}

/** Whether the current role may bulk-load the table: it owns it, and it is a plain table. */
export async function bulkLoadAllowed(trx: Knex.Transaction, table: string): Promise<boolean> {
  const { rows } = await trx.raw(
    `select pg_has_role(current_user, c.relowner, 'USAGE') and c.relkind = 'r' and not c.relispartition and not c.relhassubclass as ok
       from pg_class c where c.oid = ?::regclass`,
    [table],
  )
  return rows[0]?.ok === true
}

export interface Definition {
  kind: 'index' | 'constraint'
  name: string
  definition: string
  comment: string | null
}

/**
 * What a bulk load drops and recreates: the table's secondary indexes and its unique, exclusion
 * and foreign-key constraints, as the catalog defines them, foreign keys last. Kept in place: the
 * primary key (other tables reference it), a unique key another table's foreign key uses,
 * replica-identity and clustered indexes (flags a plain recreation would lose), invalid indexes
 * (left over by a failed CREATE INDEX CONCURRENTLY: not ours to finish), and check constraints
 * (checked per row anyway, no index). `table` is any name regclass takes.
 */
export async function secondaryDefinitions(knex: Knex, table: string): Promise<Definition[]> {
  const { rows } = await knex.raw(
    `with t as (select ?::regclass as oid),
     kept as (select i.indexrelid from pg_index i, t
               where i.indrelid = t.oid and (i.indisprimary or not i.indisvalid or i.indisreplident or i.indisclustered
                 or exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid)))
     select 'constraint' as kind, k.conname as name, pg_get_constraintdef(k.oid) as definition,
            obj_description(k.oid, 'pg_constraint') as comment, k.contype = 'f' as late
       from pg_constraint k, t
      where k.conrelid = t.oid and k.contype in ('u', 'x', 'f') and (k.contype = 'f' or k.conindid not in (select indexrelid from kept))
     union all
     select 'index', c.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'), false
       from pg_index i join pg_class c on c.oid = i.indexrelid, t
      where i.indrelid = t.oid and i.indexrelid not in (select indexrelid from kept)
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = t.oid)
      order by late, name`,
    [table],
  )
  return rows.map(({ kind, name, definition, comment }: Definition) => ({ kind, name, definition, comment }))
}

/** The table's secondary definitions (secondaryDefinitions), dropped; returned to be recreated. */
async function dropSecondaryIndexes(trx: Knex.Transaction, table: string): Promise<Definition[]> {
  const saved = await secondaryDefinitions(trx, table)
  const constraints = saved.filter((d) => d.kind === 'constraint')
  const indexes = saved.filter((d) => d.kind === 'index')
  // One object per statement: Citus refuses to drop several distributed objects in one command.
  for (const d of constraints) await trx.raw(verbatim(`alter table ${quoteIdent(table)} drop constraint ${quoteIdent(d.name)}`))
  // Index names are schema-wide; the table's schema is the one search_path resolved it in.
  if (indexes.length > 0) {
    const { rows: at } = await trx.raw('select relnamespace::regnamespace::text as schema from pg_class where oid = ?::regclass', [table])
    for (const d of indexes) await trx.raw(verbatim(`drop index ${at[0].schema}.${quoteIdent(d.name)}`))
  }
  return saved
}

/**
 * Everything dropped, recreated from its saved definition (foreign keys last, each validated in
 * one pass over the table), with a sort budget to build each index in memory. A violation (rows
 * the import's own checks did not catch) becomes a CONFLICT naming the constraint and the value.
 */
async function recreate(trx: Knex.Transaction, table: string, saved: Definition[]): Promise<void> {
  await trx.raw(`set local maintenance_work_mem = '256MB'`)
  for (const d of saved) {
    const sql = d.kind === 'index' ? d.definition : `alter table ${quoteIdent(table)} add constraint ${quoteIdent(d.name)} ${d.definition}`
    try {
      await trx.raw(verbatim(sql))
    } catch (err) {
      throw explainViolation(err, table, d)
    }
    if (d.comment !== null) {
      const on = d.kind === 'index' ? `index ${quoteIdent(d.name)}` : `constraint ${quoteIdent(d.name)} on ${quoteIdent(table)}`
      await trx.raw(verbatim(`comment on ${on} is ${quoteLiteral(d.comment)}`))
    }
  }
}

/** SQL text from the catalog as it is: knex reads ? as a placeholder (jsonb's ? operator, a comment) unless escaped. */
const verbatim = (sql: string) => sql.replaceAll('?', '\\?')

function explainViolation(err: unknown, table: string, d: Definition): unknown {
  const state = sqlStateOf(err)
  if (!state?.startsWith('23')) return err
  const detail = (err as { detail?: string }).detail ?? (err as Error).message
  return conflict(`The imported rows break the ${d.kind} ${d.name} on ${table}: ${detail} Nothing was imported.`, {
    actions: ['Remove or fix the rows with that value in the file (or the existing ones), then import again'],
    data: { table, constraint: d.name, definition: d.definition, detail },
    cause: err,
  })
}
