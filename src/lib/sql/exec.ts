import type { Knex } from 'knex'

import { ErpError, ErrorKind } from '../cli/errors.js'
import type { Db } from '../db/connect.js'
import { withTenant } from '../db/tenant-scope.js'
import { forEachTenant, type TenantOutcome } from '../tenants/fleet.js'

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
 * Run an ad-hoc SQL script inside each tenant's schema, one transaction per tenant, as the tenant's
 * owner role. A dry run executes the script and rolls it back, so errors show without changes.
 * The script is sent as it is (simple query protocol): it may hold several statements.
 */
export async function runScriptInTenants(db: Db, slugs: string[], sql: string, options: RunScriptOptions = {}): Promise<TenantOutcome<ScriptResult>[]> {
  return forEachTenant(
    slugs,
    options.concurrency ?? 4,
    async (slug) => {
      try {
        return await withTenant(db, slug, async (trx, tenant) => {
          const connection = await trx.client.acquireConnection()
          try {
            const results = await connection.query(sql)
            await assertStillInTransaction(trx, tenant.schema)
            const list = (Array.isArray(results) ? results : [results]) as Array<{ command: string; rowCount: number | null }>
            const result = { statements: list.map((r) => ({ command: r.command, rowCount: r.rowCount })), committed: !options.dryRun }
            if (options.dryRun) throw new DryRunRollback(result)
            return result
          } finally {
            await trx.client.releaseConnection(connection)
          }
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
 * A script that says COMMIT or ROLLBACK ends erp's transaction: what followed ran on its own. SET
 * LOCAL settings end with the transaction, so a changed search_path gives it away.
 */
async function assertStillInTransaction(trx: Knex.Transaction, schema: string): Promise<void> {
  const { rows } = await trx.raw("select current_setting('search_path') as path")
  if (rows[0].path.replaceAll('"', '') !== schema) {
    throw new ErpError(ErrorKind.FAILED, 'The script ended the transaction (COMMIT, ROLLBACK or SET search_path): part of it may have been committed.', {
      actions: ['Remove transaction control and search_path changes from the script: erp runs it in a transaction of its own.'],
    })
  }
}
