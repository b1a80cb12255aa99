import type { Knex } from 'knex'
import type pg from 'pg'

import { sqlOn } from '../backup/create.js'
import { describeSchema } from '../backup/ddl.js'
import { renderNamedStatements, run } from '../backup/restore.js'
import { allowTenantTriggers } from '../db/citus.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { migrateUp } from '../db/migrator.js'
import { requireRegistryWrite } from '../db/registry.js'
import { ownerLogin } from '../db/owner-login.js'
import { provision, registerTenant, type CreatedTenant } from './provision.js'
import { getTenant } from './tenant.js'

export interface CloneResult extends CreatedTenant {
  from: string
  tables: Array<{ table: string; rows: number }>
  warnings: string[]
  /** With --mask: rows whose personal data was replaced, per table. */
  masked?: Array<{ table: string; rows: number }>
}

/**
 * Personal data and its deterministic fake, per table and column, derived from the row id so a
 * masked copy is reproducible. `null` clears the column (password hashes). Every other fake goes
 * through keepEmpty: a field the source left empty stays empty in the copy.
 */
const MASKS: Record<string, Record<string, string>> = {
  customers: {
    name: `'Customer ' || id`,
    email: `'customer' || id || '@example.invalid'`,
    phone: `'+000' || lpad(id::text, 8, '0')`,
    tax_id: `'TAX' || lpad(id::text, 8, '0')`,
  },
  customer_addresses: {
    line1: `'Street ' || id`,
    line2: `'Unit ' || id`,
    city: `'City ' || id`,
    postal_code: `lpad(id::text, 5, '0')`,
    region: `'Region ' || id`,
  },
  users: {
    email: `'user' || id || '@example.invalid'`,
    name: `'User ' || id`,
    password_hash: 'null',
  },
}

/** The fake for a column, unless the source had nothing there (null or ''): a copy invents no data. */
const keepEmpty = (column: string, fake: string) =>
  fake === 'null' ? fake : `case when ${quoteIdent(column)} is null or ${quoteIdent(column)} = '' then ${quoteIdent(column)} else ${fake} end`

/**
 * Replace personal data in a tenant schema by deterministic fakes: one set-based UPDATE per
 * table, over the tables and columns that exist (a tenant at an older version still works).
 * Runs as the admin inside the caller's transaction; user triggers are not involved (no
 * triggers guard these tables), and identity columns are untouched.
 */
export async function maskPersonalData(trx: Knex.Transaction, schema: string): Promise<Array<{ table: string; rows: number }>> {
  const present = await trx.raw<{ rows: Array<{ table_name: string; column_name: string }> }>(
    `select table_name, column_name from information_schema.columns
      where table_schema = ? and table_name = any(?)`,
    [schema, Object.keys(MASKS)],
  )
  const masked: Array<{ table: string; rows: number }> = []
  for (const [table, columns] of Object.entries(MASKS)) {
    const existing = new Set(present.rows.filter((r) => r.table_name === table).map((r) => r.column_name))
    if (!existing.has('id')) continue
    const sets = Object.entries(columns).filter(([column]) => existing.has(column))
    if (!sets.length) continue
    const result = await trx.raw(
      `update ${quoteIdent(schema)}.${quoteIdent(table)} set ${sets.map(([c, fake]) => `${quoteIdent(c)} = ${keepEmpty(c, fake)}`).join(', ')}`,
    )
    masked.push({ table, rows: result.rowCount ?? 0 })
  }
  return masked
}

/**
 * Copy a tenant, schema and data, under a new slug, its rows from one snapshot. The
 * schema is copied as it is (the backup's DDL generator describes it), so tables and columns added
 * by hand come along; the data moves with one INSERT … SELECT per table inside the server; then
 * any migrations the source had not applied yet run on the copy. With `mask`, personal data in the
 * copy is then replaced by deterministic fakes (maskPersonalData), in the transaction that copies the rows.
 */
export async function cloneTenant(db: Db, from: string, to: string, options: { name?: string; mask?: boolean } = {}): Promise<CloneResult> {
  await requireRegistryWrite(db, 'Cloning a tenant')
  const source = await getTenant(db.knex, db.scope, from)
  const warnings: string[] = []
  const input = { slug: to, name: options.name ?? `${source.name} (copy)`, plan: source.plan ?? undefined }
  // Three transactions, not one: Citus lets only one role touch a shard within a transaction
  // ("cannot perform query on placements that were modified in this transaction by a different
  // user"), and here the owner writes the DDL while the admin copies the rows. The reservation
  // (provision.ts) holds the names meanwhile, and takes everything back if a step fails.
  return provision(db, input, async (reservation) => {
    const target = reservation.tenant
    // The source's DDL is the source tenant's to write (sql exec, its login): it runs on a session
    // logged in as the target's owner, never on the admin's.
    const owner = await ownerLogin(db, target.ownerRole)
    // 1. As the owner: the schema's tables, types and functions, as the source describes them.
    const { doc, tables } = await reservation.transaction(async (trx) => {
      const conn = (await trx.client.acquireConnection()) as pg.Client
      await trx.raw(`set local search_path to ${quoteIdent(source.schema)}`)
      return describeSchema(sqlOn(conn), source.schema, source)
    }, { isolationLevel: 'repeatable read' })
    await owner.transaction(async (trx) => {
      const conn = (await trx.client.acquireConnection()) as pg.Client
      await trx.raw(`set local search_path to ${quoteIdent(target.schema)}`)
      await trx.raw('set local check_function_bodies = off')
      for (const s of doc.statements.filter((s) => s.phase === 'pre')) await run(conn, s.sql, `${s.kind} ${s.name}`)
    })
    // 2. As the admin (the owner cannot read the source): the rows, from one snapshot; masked here too.
    const { copied, masked } = await reservation.transaction(async (trx) => {
      const copied: CloneResult['tables'] = []
      for (const table of tables) {
        const columns = table.columns.map(quoteIdent).join(', ')
        const result = await trx.raw(
          `insert into ${quoteIdent(target.schema)}.${quoteIdent(table.name)} (${columns}) overriding system value
           select ${columns} from ${quoteIdent(source.schema)}.${quoteIdent(table.name)}`,
        )
        copied.push({ table: table.name, rows: result.rowCount ?? 0 })
      }
      const masked = options.mask ? await maskPersonalData(trx, target.schema) : undefined
      return { copied, masked }
    }, { isolationLevel: 'repeatable read' })
    // 3. As the owner: indexes, constraints, triggers, grants, the migrations the source lacked; then the registry row.
    const outcome = await owner.transaction(async (trx) => {
      const conn = (await trx.client.acquireConnection()) as pg.Client
      await trx.raw(`set local search_path to ${quoteIdent(target.schema)}`)
      await trx.raw('set local check_function_bodies = off')
      await allowTenantTriggers(trx)
      for (const s of doc.statements.filter((s) => s.phase === 'post')) await run(conn, s.sql, `${s.kind} ${s.name}`)
      for (const statement of await renderNamedStatements(conn, doc, target, warnings)) await run(conn, statement, 'grants')
      return migrateUp(trx, target.schema, 'tenant')
    })
    await reservation.transaction((trx) => registerTenant(trx, reservation, outcome.migrations))
    return { ...target, schemaMigrations: outcome.migrations, migrations: outcome.applied, from, tables: copied, warnings, ...(masked ? { masked } : {}) }
  })
}
