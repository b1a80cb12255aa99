import type { Knex } from 'knex'

/**
 * The server's time, read on its own and bound into the statements that need it where Citus
 * refuses a non-IMMUTABLE call (ON CONFLICT DO UPDATE SET, CASE, COALESCE, RETURNING) or a
 * VOLATILE one (an UPDATE). A query without tables runs on the coordinator, so the value is the
 * one now() would give there; as text, so that it keeps PostgreSQL's microseconds (a JavaScript
 * Date would cut them to milliseconds, and a client's clock is not the server's). Bind it as
 * `?::timestamptz`.
 */

const transactionTimes = new WeakMap<Knex.Transaction, Promise<string>>()

/** now() of this transaction: read once per transaction object, the same value all along. */
export function transactionNow(trx: Knex.Transaction): Promise<string> {
  let now = transactionTimes.get(trx)
  if (!now) {
    now = trx.raw('select now()::text as now').then(({ rows }: { rows: Array<{ now: string }> }) => rows[0].now)
    transactionTimes.set(trx, now)
  }
  return now
}

/** clock_timestamp(): the time at this moment, for stamps that must follow the order of events (locks taken). */
export async function clockNow(trx: Knex.Transaction): Promise<string> {
  const { rows } = await trx.raw('select clock_timestamp()::text as now')
  return rows[0].now
}
