import type { Knex } from 'knex'
import pg from 'pg'

import { ErpError, ErrorKind } from '../errors.js'
import type { Db } from '../db/connect.js'
import { withTenant } from '../tenants/tenant-work.js'
import { forEachTenant, type TenantOutcome } from '../tenants/fleet.js'
import { refuseSessionControl, splitScript, type ScriptStatement } from './script.js'

export interface ScriptResult {
  /** Rows touched by each statement of the script, in order. */
  statements: StatementResult[]
  committed: boolean
}

export interface StatementResult {
  command: string
  rowCount: number | null
  /** 1-based line of the script where the statement starts. */
  line: number
  /** What a statement that returns rows (SELECT, … RETURNING) gave: its first `rowLimit` rows. */
  resultSet?: ResultSet
}

/** Rows as the database returned them, cell by cell, in column order (two columns may share a name). */
export interface ResultSet {
  columns: string[]
  rows: unknown[][]
  /** How many rows the statement returned, of which `rows` holds the first. */
  total: number
}

/** Rows kept per statement when no limit is given. */
export const DEFAULT_ROW_LIMIT = 100

export interface RunScriptOptions {
  dryRun?: boolean
  concurrency?: number
  /** Rows kept of each statement that returns rows; the rest are counted, not kept. */
  rowLimit?: number
  onTenantDone?: (outcome: TenantOutcome<ScriptResult>, finished: number) => void
}

/** Thrown inside the transaction to roll a dry run back after the script ran. */
class DryRunRollback extends Error {
  constructor(readonly result: ScriptResult) {
    super('dry run')
  }
}

/**
 * Read an operator's script: its statements, with transaction and session control refused (with
 * their lines) before anything runs anywhere.
 */
export function checkScript(sql: string, file: string): ScriptStatement[] {
  const statements = splitScript(sql)
  if (!statements.length) throw new ErpError(ErrorKind.INVALID_DATA, `${file} holds no SQL statement`)
  refuseSessionControl(statements, file)
  return statements
}

/**
 * Run an ad-hoc SQL script inside each tenant's schema, one transaction per tenant. An admin's
 * script runs on a session logged in as the tenant's owner role (withTenant), a tenant profile's
 * on its own login: either way nothing in it can reach beyond the tenant's grants, whatever it
 * says. Each statement goes alone through the extended query protocol, so PostgreSQL refuses a
 * piece holding more than one command. A dry run executes the script and rolls it back.
 */
export async function runScriptInTenants(
  db: Db,
  slugs: string[],
  statements: ScriptStatement[],
  options: RunScriptOptions = {},
): Promise<TenantOutcome<ScriptResult>[]> {
  return forEachTenant(
    slugs,
    options.concurrency ?? 4,
    async (slug) => {
      try {
        return await withTenant(db, slug, async (trx) => {
          await trx.raw("set local erp.script = 'running'")
          const connection = (await trx.client.acquireConnection()) as pg.Client
          const list: ScriptResult['statements'] = []
          try {
            for (const statement of statements) {
              list.push({ ...(await runStatement(connection, statement.text, options.rowLimit ?? DEFAULT_ROW_LIMIT)), line: statement.line })
            }
          } finally {
            await trx.client.releaseConnection(connection)
          }
          await assertStillInTransaction(trx)
          const result = { statements: list, committed: !options.dryRun }
          if (options.dryRun) throw new DryRunRollback(result)
          return result
        })
      } catch (err) {
        if (err instanceof DryRunRollback) return err.result
        throw err
      }
    },
    options.onTenantDone,
  )
}

/**
 * One statement, alone through the extended protocol, keeping the first `limit` rows it returns
 * and counting the others as they stream past: `select * from big_table` costs no more memory than
 * the rows shown. Cells as pg parsed them (numeric and int8 as strings, dates as Date) but bytea as
 * PostgreSQL's own hex text (\\x…), which JSON and a table can show.
 */
function runStatement(connection: pg.Client, text: string, limit: number): Promise<Omit<StatementResult, 'line'>> {
  return new Promise((resolve, reject) => {
    const query = new pg.Query({ text, queryMode: 'extended', rowMode: 'array' } as pg.QueryArrayConfig)
    const rows: unknown[][] = []
    let total = 0
    query.on('row', (row: unknown[]) => {
      total++
      if (rows.length < limit) rows.push(row.map((cell) => (Buffer.isBuffer(cell) ? `\\x${cell.toString('hex')}` : cell)))
    })
    query.on('error', reject)
    query.on('end', (result: pg.QueryArrayResult) => {
      resolve({
        command: result.command,
        rowCount: result.rowCount,
        ...(result.fields.length ? { resultSet: { columns: result.fields.map((f) => f.name), rows, total } } : {}),
      })
    })
    connection.query(query)
  })
}

/**
 * The script was checked for transaction control, and PostgreSQL refuses COMMIT inside DO and
 * functions within a transaction block; still, a setting made LOCAL before the script is gone if
 * its transaction ended, and then what followed ran on its own: say so rather than report success.
 */
async function assertStillInTransaction(trx: Knex.Transaction): Promise<void> {
  const { rows } = await trx.raw("select current_setting('erp.script', true) as mark")
  if (rows[0].mark !== 'running') {
    throw new ErpError(ErrorKind.FAILED, 'The script ended the transaction: part of it may have been committed.', {
      actions: ['Remove transaction control from the script: erp runs it in a transaction of its own.'],
    })
  }
}
