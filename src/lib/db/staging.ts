import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'

import { ErpError, ErrorKind } from '../errors.js'
import { allowStagedJoins } from './citus.js'
import { quoteIdent } from './identifiers.js'

/**
 * Staging tables for set-based work (an import's rows, a count file, a drift report), in the
 * tenant's own schema rather than pg_temp: on a Citus coordinator with schema-based sharding a
 * table created in a tenant schema lives on that tenant's node, next to the tables it is joined
 * with, where a pg_temp table is local to the coordinator and Citus refuses the join.
 *
 * Each table is UNLOGGED (no WAL, like a temporary table), has a name no other unit of work uses
 * (`erp_stage_<what>_<random>`), and is created and dropped inside the caller's transaction: no
 * other session ever sees it (catalog rows are MVCC, so neither a backup nor `tenants usage` nor
 * another import does), and a failure, a rollback or a killed session leaves nothing behind.
 * Unqualified names resolve to the tenant schema, first on the search_path the tenant scope sets.
 */
export class Staging {
  private readonly created: string[] = []
  private readonly byLabel = new Map<string, string>()

  constructor(private readonly trx: Knex.Transaction) {}

  /**
   * Create a staging table labelled `what` (a short lowercase word): `definition` follows the name, a column list `(line integer, …)` or
   * `as select …` (with its bindings). Returns the quoted name to splice into SQL.
   */
  async create(what: string, definition: string, bindings: readonly Knex.RawBinding[] = []): Promise<string> {
    const name = quoteIdent(`erp_stage_${what}_${randomBytes(6).toString('hex')}`)
    await this.trx.raw(`create unlogged table ${name} ${definition}`, bindings)
    this.created.push(name)
    this.byLabel.set(what, name)
    return name
  }

  /** The table created earlier under that label (a check creates it, the merge reads it). */
  table(what: string): string {
    const name = this.byLabel.get(what)
    if (!name) throw new ErpError(ErrorKind.FAILED, `No staging table "${what}" was created in this unit of work`)
    return name
  }

  /** Drop every table created so far (one statement each: Citus drops one distributed object at a time). */
  async dropAll(): Promise<void> {
    while (this.created.length > 0) await this.trx.raw(`drop table if exists ${this.created.pop()!}`)
  }
}

/**
 * Run `work` with staging tables that are dropped when it returns. When it throws they are
 * dropped too if the transaction can still run statements (an error raised in TypeScript); when
 * the database refused a statement the transaction is lost anyway, and its rollback drops them.
 */
export async function withStaging<T>(trx: Knex.Transaction, work: (staging: Staging) => Promise<T>): Promise<T> {
  // Staged rows are written into identity tables with INSERT … SELECT joins: see allowStagedJoins.
  await allowStagedJoins(trx)
  const staging = new Staging(trx)
  let result: T
  try {
    result = await work(staging)
  } catch (err) {
    await staging.dropAll().catch(() => undefined)
    throw err
  }
  await staging.dropAll()
  return result
}
