import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'

import { transactionNow } from '../db/clock.js'
import { queryRows } from '../db/query-rows.js'

/**
 * The one way stock_levels follow the ledger: after a batch of moves is appended, the net change
 * per product × internal location × lot is added to the cache in one statement, in key order (so
 * that concurrent batches lock rows in the same order and do not deadlock). The guard sits in the
 * write itself (`on conflict do update … where on_hand [- reserved] + delta >= 0`), evaluated on
 * the row version the statement locked: nothing is read in TypeScript and written back. When a
 * level could not take its delta, the batch is rolled back to a savepoint and the shortages are
 * described from the levels as they were; the caller then refuses the whole batch.
 */

export type StockGuard = 'available' | 'on_hand'

export interface LevelShortage {
  productId: string
  sku: string
  locationId: string
  location: string
  lotId: string | null
  lot: string | null
  /** What the batch takes out of this level (net). */
  requested: string
  /** What could be taken before the batch: on hand, less reserved under the 'available' guard. */
  available: string
  onHand: string
  reserved: string
}

/** Net change per product × internal location × lot of one batch. Binding: the batch. */
const DELTAS = `
  moved as (
    select m.product_id, m.lot_id, x.location_id, x.delta
      from stock_moves m
      cross join lateral (values (m.to_location_id, m.qty), (m.from_location_id, -m.qty)) as x(location_id, delta)
     where m.batch = ?
  ), d as (
    select x.product_id, x.location_id, x.lot_id, coalesce(x.lot_id, 0) as lot_key, sum(x.delta) as delta
      from moved x join locations l on l.id = x.location_id and l.kind = 'internal'
     group by x.product_id, x.location_id, x.lot_id
  )`

export async function applyBatchToLevels(
  trx: Knex.Transaction,
  batch: string,
  options: { guard: StockGuard; allowNegative: boolean },
): Promise<LevelShortage[]> {
  const available = options.guard === 'available'
  await trx.raw('savepoint stock_levels_batch')
  // Counts only, no join back to the deltas: the planner takes a batch for one row and would
  // nest loops over ten thousand levels of a count.
  const [outcome] = await queryRows<{ expected: number; applied: number; negative: number }>(
    trx,
    `with ${DELTAS}, up as (
       insert into stock_levels as s (product_id, location_id, lot_id, on_hand)
       select product_id, location_id, lot_id, delta from d where delta <> 0
        order by product_id, location_id, lot_key
       on conflict (product_id, location_id, lot_key) do update
         set on_hand = s.on_hand + excluded.on_hand, updated_at = ?::timestamptz
         where ? or excluded.on_hand >= 0 or s.on_hand - case when ? then s.reserved else 0 end + excluded.on_hand >= 0
       returning s.on_hand, (s.xmax = 0) as inserted
     )
     select (select count(*) from d where delta <> 0)::int as expected, count(*)::int as applied,
            count(*) filter (where inserted and on_hand < 0)::int as negative
       from up`,
    [batch, await transactionNow(trx), options.allowNegative, available],
  )
  const short = outcome.applied < outcome.expected || (!options.allowNegative && outcome.negative > 0)
  // The savepoint is left to the commit: releasing it would cost a round trip per batch.
  if (!short) return []
  await trx.raw('rollback to savepoint stock_levels_batch')
  return queryRows<LevelShortage>(
    trx,
    `with ${DELTAS}
     select d.product_id as "productId", p.sku, d.location_id as "locationId", l.full_code as location,
            d.lot_id as "lotId", lo.code as lot,
            trim_scale(-d.delta)::text as requested,
            trim_scale(coalesce(s.on_hand, 0) - case when ? then coalesce(s.reserved, 0) else 0 end)::text as available,
            trim_scale(coalesce(s.on_hand, 0))::text as "onHand", trim_scale(coalesce(s.reserved, 0))::text as reserved
       from d
       left join stock_levels s on s.product_id = d.product_id and s.location_id = d.location_id and s.lot_key = d.lot_key
       join products p on p.id = d.product_id
       join locations l on l.id = d.location_id
       left join lots lo on lo.id = d.lot_id
      where d.delta < 0
        and coalesce(s.on_hand, 0) - case when ? then coalesce(s.reserved, 0) else 0 end + d.delta < 0
      order by p.sku, l.full_code, lo.code`,
    [batch, available, available],
  )
}

/** A fresh batch id: the moves posted together (one command, one order's lines, one count). */
export function newBatch(): string {
  return randomUUID()
}
