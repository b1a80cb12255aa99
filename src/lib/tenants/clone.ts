import type { Knex } from 'knex'

import { ErpError, ErrorKind } from '../cli/errors.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { loadMigrations, MIGRATIONS_TABLE } from '../db/migrator.js'
import { requireAdmin } from '../db/registry.js'
import { createTenant, type CreatedTenant } from './provision.js'
import { getTenant, type Tenant } from './tenant.js'

export interface CloneResult extends CreatedTenant {
  from: string
  tables: Array<{ table: string; rows: number }>
}

/**
 * Copy a tenant, schema and data, under a new slug. The target is provisioned by the migrations
 * (so it has exactly the code's schema), then every table is copied with one INSERT … SELECT, all
 * in the provisioning transaction, from one snapshot. Sequences follow their source's values.
 */
export async function cloneTenant(db: Db, from: string, to: string, options: { name?: string } = {}): Promise<CloneResult> {
  requireAdmin(db.scope, 'Cloning a tenant')
  const source = await getTenant(db.knex, db.scope, from)
  await assertSourceCurrent(db.knex, source)
  const tables: CloneResult['tables'] = []
  const created = await createTenant(db, { slug: to, name: options.name ?? `${source.name} (copy)`, plan: source.plan ?? undefined }, async (trx, target) => {
    await assertNoDrift(trx, source, target.schema)
    const order = await tablesInDependencyOrder(trx, source.schema)
    // Rows the migrations seeded in the new schema (pricing's 'zero' tax rate…) would clash with
    // the same rows copied from the source: the copy is exact, so they go first.
    for (const table of [...order].reverse()) await trx.raw(`delete from ${quoteIdent(target.schema)}.${quoteIdent(table)}`)
    for (const table of order) {
      tables.push({ table, rows: await copyTable(trx, source.schema, target.schema, table) })
    }
    await copySequenceValues(trx, source.schema, target.schema)
  })
  return { ...created, from, tables }
}

async function assertSourceCurrent(knex: Knex, source: Tenant): Promise<void> {
  const { rows } = await knex.raw(`select name from ${quoteIdent(source.schema)}.${MIGRATIONS_TABLE}`)
  const applied = new Set(rows.map((r: { name: string }) => r.name))
  const pending = (await loadMigrations('tenant')).filter((m) => !applied.has(m.name))
  if (pending.length > 0) {
    throw new ErpError(ErrorKind.CONFLICT, `Tenant "${source.slug}" has ${pending.length} pending migrations; a clone is made at the latest version.`, {
      actions: [`Migrate it first: erp migrate latest --tenant ${source.slug}`],
    })
  }
}

/**
 * The copy is built by the migrations, so tables or columns added to the source by hand (erp sql
 * exec) have no place in it. Refuse rather than lose them silently.
 */
async function assertNoDrift(trx: Knex.Transaction, source: Tenant, targetSchema: string): Promise<void> {
  const { rows } = await trx.raw(
    `select s.table_name || coalesce('.' || s.column_name, '') as object
       from (select c.table_name, c.column_name from information_schema.columns c where c.table_schema = ?
             union select t.table_name, null from information_schema.tables t where t.table_schema = ?) s
      where not exists (select 1 from information_schema.columns c
                         where c.table_schema = ? and c.table_name = s.table_name
                           and (s.column_name is null or c.column_name = s.column_name))
        and not (s.column_name is not null and not exists (select 1 from information_schema.tables t
                                                            where t.table_schema = ? and t.table_name = s.table_name))
      order by 1`,
    [source.schema, source.schema, targetSchema, targetSchema],
  )
  if (rows.length > 0) {
    const objects = rows.map((r: { object: string }) => r.object)
    throw new ErpError(ErrorKind.CONFLICT, `Tenant "${source.slug}" has tables or columns the migrations do not create, which a clone would lose: ${objects.join(', ')}`, {
      actions: ['Turn the change into a migration (erp migrate make), or copy the tenant with erp backup create + erp backup restore --as.'],
      data: { objects },
    })
  }
}

/** Tables of a schema, referenced tables before those that refer to them. */
async function tablesInDependencyOrder(trx: Knex.Transaction, schema: string): Promise<string[]> {
  const { rows: tables } = await trx.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind in ('r', 'p') and not c.relispartition and c.relname <> ?
      order by c.relname`,
    [schema, MIGRATIONS_TABLE],
  )
  const { rows: edges } = await trx.raw(
    `select distinct src.relname as child, dst.relname as parent
       from pg_constraint k
       join pg_class src on src.oid = k.conrelid join pg_class dst on dst.oid = k.confrelid
       join pg_namespace n on n.oid = src.relnamespace
      where k.contype = 'f' and n.nspname = ? and src.oid <> dst.oid`,
    [schema],
  )
  const parents = new Map<string, string[]>(tables.map((t: { relname: string }) => [t.relname, []]))
  for (const { child, parent } of edges as Array<{ child: string; parent: string }>) parents.get(child)?.push(parent)
  const ordered: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (table: string) => {
    if (state.get(table) === 'done') return
    if (state.get(table) === 'visiting') {
      throw new ErpError(ErrorKind.FAILED, `Foreign keys form a cycle through "${table}" in ${schema}; cannot order the copy.`)
    }
    state.set(table, 'visiting')
    for (const parent of parents.get(table) ?? []) visit(parent)
    state.set(table, 'done')
    ordered.push(table)
  }
  for (const table of parents.keys()) visit(table)
  return ordered
}

async function copyTable(trx: Knex.Transaction, from: string, to: string, table: string): Promise<number> {
  // Columns both sides have, less generated ones (the server computes those again).
  const { rows } = await trx.raw(
    `select s.column_name from information_schema.columns s
       join information_schema.columns t on t.table_schema = ? and t.table_name = s.table_name and t.column_name = s.column_name
      where s.table_schema = ? and s.table_name = ? and s.is_generated = 'NEVER'
      order by s.ordinal_position`,
    [to, from, table],
  )
  if (rows.length === 0) return 0
  const columns = rows.map((r: { column_name: string }) => quoteIdent(r.column_name)).join(', ')
  const result = await trx.raw(
    `insert into ${quoteIdent(to)}.${quoteIdent(table)} (${columns}) overriding system value
     select ${columns} from ${quoteIdent(from)}.${quoteIdent(table)}`,
  )
  return result.rowCount ?? 0
}

async function copySequenceValues(trx: Knex.Transaction, from: string, to: string): Promise<void> {
  const { rows } = await trx.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind = 'S'
        and exists (select 1 from pg_class t join pg_namespace tn on tn.oid = t.relnamespace
                     where tn.nspname = ? and t.relname = c.relname and t.relkind = 'S')`,
    [from, to],
  )
  for (const { relname } of rows as Array<{ relname: string }>) {
    const target = `${quoteIdent(to)}.${quoteIdent(relname)}`
    await trx.raw(`select setval(?::regclass, last_value, is_called) from ${quoteIdent(from)}.${quoteIdent(relname)}`, [target])
  }
}
