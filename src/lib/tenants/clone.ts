import type pg from 'pg'

import { sqlOn } from '../backup/create.js'
import { describeSchema } from '../backup/ddl.js'
import { renderNamedStatements, run } from '../backup/restore.js'
import type { Db } from '../db/connect.js'
import { quoteIdent, tenantNames } from '../db/identifiers.js'
import { migrateUp } from '../db/migrator.js'
import { requireAdmin } from '../db/registry.js'
import { enterTenant } from '../db/tenant-scope.js'
import { explainCreateFailure, insertTenant, type CreatedTenant } from './provision.js'
import { getTenant } from './tenant.js'

export interface CloneResult extends CreatedTenant {
  from: string
  tables: Array<{ table: string; rows: number }>
  warnings: string[]
}

/**
 * Copy a tenant, schema and data, under a new slug, in one transaction from one snapshot. The
 * schema is copied as it is (the backup's DDL generator describes it), so tables and columns added
 * by hand come along; the data moves with one INSERT … SELECT per table inside the server; then
 * any migrations the source had not applied yet run on the copy.
 */
export async function cloneTenant(db: Db, from: string, to: string, options: { name?: string } = {}): Promise<CloneResult> {
  requireAdmin(db.scope, 'Cloning a tenant')
  const source = await getTenant(db.knex, db.scope, from)
  const names = tenantNames(to)
  const warnings: string[] = []
  try {
    return await db.knex.transaction(
      async (trx) => {
        const conn = (await trx.client.acquireConnection()) as pg.Client
        await trx.raw(`set local search_path to ${quoteIdent(source.schema)}`)
        const { doc, tables } = await describeSchema(sqlOn(conn), source.schema, source)
        const target = await insertTenant(trx, db.scope, { slug: to, name: options.name ?? `${source.name} (copy)`, plan: source.plan ?? undefined })
        await enterTenant(trx, db.scope, target)
        await trx.raw('set local check_function_bodies = off')
        for (const s of doc.statements.filter((s) => s.phase === 'pre')) await run(conn, s.sql, `${s.kind} ${s.name}`)
        // The owner role cannot read the source: the admin copies the rows.
        await trx.raw('reset role')
        const copied: CloneResult['tables'] = []
        for (const table of tables) {
          const columns = table.columns.map(quoteIdent).join(', ')
          const result = await trx.raw(
            `insert into ${quoteIdent(target.schema)}.${quoteIdent(table.name)} (${columns}) overriding system value
             select ${columns} from ${quoteIdent(source.schema)}.${quoteIdent(table.name)}`,
          )
          copied.push({ table: table.name, rows: result.rowCount ?? 0 })
        }
        await trx.raw(`set local role ${quoteIdent(target.ownerRole)}`)
        for (const s of doc.statements.filter((s) => s.phase === 'post')) await run(conn, s.sql, `${s.kind} ${s.name}`)
        for (const statement of await renderNamedStatements(conn, doc, names, warnings)) await run(conn, statement, 'grants')
        const outcome = await migrateUp(trx, target.schema, 'tenant')
        await trx.raw('reset role')
        return { ...target, migrations: outcome.applied, from, tables: copied, warnings }
      },
      { isolationLevel: 'repeatable read' },
    )
  } catch (err) {
    throw explainCreateFailure(err, to)
  }
}
