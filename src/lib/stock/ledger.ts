import type { Knex } from 'knex'
import { queryRows } from './sql.js'

/**
 * The one way stock_levels follow the ledger: after a batch of moves is appended, the net change
 * per product × internal location × lot is added to the cache in one statement, in key order (so
 * that concurrent batches lock rows in the same order and do not deadlock), and the rows the
 * batch drove below zero (or below what is reserved) come back. The caller rolls the transaction
 * back when any do: write and check happen in one statement, on the row versions it locked, so
 * nothing is ever read in TypeScript and written back.
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

export async function applyBatchToLevels(
  trx: Knex.Transaction,
  batch: string,
  options: { guard: StockGuard; allowNegative: boolean },
): Promise<LevelShortage[]> {
  const rows = await queryRows<LevelShortage>(
      trx,
    `with moved as (
       select m.product_id, m.lot_id, x.location_id, x.delta
         from stock_moves m
         cross join lateral (values (m.to_location_id, m.qty), (m.from_location_id, -m.qty)) as x(location_id, delta)
        where m.batch = ?
     ), d as (
       select x.product_id, x.location_id, x.lot_id, sum(x.delta) as delta
         from moved x join locations l on l.id = x.location_id and l.kind = 'internal'
        group by x.product_id, x.location_id, x.lot_id
     ), up as (
       insert into stock_levels as s (product_id, location_id, lot_id, on_hand)
       select product_id, location_id, lot_id, delta from d where delta <> 0
        order by product_id, location_id, coalesce(lot_id, 0)
       on conflict (product_id, location_id, lot_key) do update
         set on_hand = s.on_hand + excluded.on_hand, updated_at = now()
       returning s.product_id, s.location_id, s.lot_id, s.on_hand, s.reserved
     )
     select up.product_id as "productId", p.sku, up.location_id as "locationId", l.full_code as location,
            up.lot_id as "lotId", lo.code as lot,
            trim_scale(-d.delta)::text as requested,
            trim_scale(up.on_hand - d.delta - case when ? then up.reserved else 0 end)::text as available,
            trim_scale(up.on_hand - d.delta)::text as "onHand", trim_scale(up.reserved)::text as reserved
       from up
       join d on d.product_id = up.product_id and d.location_id = up.location_id and d.lot_id is not distinct from up.lot_id
       join products p on p.id = up.product_id
       join locations l on l.id = up.location_id
       left join lots lo on lo.id = up.lot_id
      where not ? and d.delta < 0
        and up.on_hand - case when ? then up.reserved else 0 end < 0
      order by p.sku, l.full_code, lo.code`,
    [batch, options.guard === 'available', options.allowNegative, options.guard === 'available'],
  )
  return rows
}

/** A fresh batch id: the moves posted together (one command, one order line set, one count). */
export async function newBatch(trx: Knex.Transaction): Promise<string> {
  const { rows } = await trx.raw('select gen_random_uuid()::text as batch')
  return rows[0].batch
}
