import type { Knex } from 'knex'
import type pg from 'pg'

import { ErpError, ErrorKind } from '../errors.js'
import type { Db } from '../db/connect.js'
import { withTenant } from '../tenants/tenant-work.js'
import { forEachTenant, type TenantOutcome } from '../tenants/fleet.js'
import { refuseSessionControl, splitScript, type ScriptStatement } from './script.js'

export interface ScriptResult {
  /** Rows touched by each statement of the script, in order. */
  statements: Array<{ command: string; rowCount: number | null }>
  committed: boolean
}

export interface RunScriptOptions {
  dryRun?: boolean
  concurrency?: number
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
              const result = await connection.query({ text: statement.text, queryMode: 'extended' } as pg.QueryConfig)
              list.push({ command: result.command, rowCount: result.rowCount })
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
