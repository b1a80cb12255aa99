import type { Knex } from 'knex'

import { quoteIdent } from './identifiers.js'

/**
 * Let a role connect to erp's database, which is not open to PUBLIC (registry migration
 * 20261201010000). Every GRANT on a database rewrites that database's one catalog row: two at once
 * fail with "tuple concurrently updated", so concurrent provisioning takes turns (a transaction
 * lock, held only until the caller's commit).
 */
export async function grantConnect(trx: Knex.Transaction, role: string): Promise<void> {
  const { rows } = await trx.raw(
    "select pg_advisory_xact_lock(hashtextextended('erp.database-grants', 0))::text, current_database() as database",
  )
  await trx.raw(`grant connect on database ${quoteIdent(rows[0].database)} to ${quoteIdent(role)}`)
}
