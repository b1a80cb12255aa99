import type { Knex } from 'knex'

/**
 * Run one statement and return its rows. Bindings are positional `?` values (arrays go in as
 * PostgreSQL arrays, nulls included, which knex's binding types do not describe).
 */
export async function queryRows<R>(trx: Knex.Transaction, sql: string, bindings: unknown[] = []): Promise<R[]> {
  const result = await trx.raw(sql, bindings as readonly Knex.RawBinding[])
  return result.rows as R[]
}
