import type { Knex } from 'knex'
import { queryRows } from '../db/query-rows.js'

export interface StockLevel {
  sku: string
  name: string
  warehouse: string | null
  location: string | null
  lot: string | null
  expiresOn: string | null
  onHand: string
  reserved: string
  available: string
  /** Reorder point of the product in the warehouse (--below-reorder). */
  reorderMin?: string | null
  reorderMax?: string | null
  /** What to order to get back to the maximum (or the minimum when no maximum is set). */
  suggested?: string | null
}

export type LevelGrouping = 'location' | 'warehouse' | 'product'

export interface LevelQuery {
  warehouse?: string
  /** Full location code, e.g. WH1/A-01. */
  location?: string
  sku?: string
  /** Category path; sub-categories are included. */
  category?: string
  lot?: string
  /** Sum per warehouse or per product instead of one row per location × lot. */
  by?: LevelGrouping
  /** Rows at zero on hand and zero reserved (left after stock moved out) are hidden unless asked for. */
  includeZero?: boolean
  /** Only products under their reorder point in a warehouse (per product × warehouse). */
  belowReorder?: boolean
  limit?: number
}

const filters = `
  (?::text is null or w.code = ?)
  and (?::text is null or l.full_code = ?)
  and (?::text is null or p.sku = ?)
  and (?::text is null or lo.code = ?)
  and (?::text is null or exists (
        select 1 from categories c where c.id = p.category_id and (c.path = ? or c.path like replace(replace(replace(?, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '/%')))`

function filterBindings(q: LevelQuery): unknown[] {
  const pair = (v: string | undefined) => [v ?? null, v ?? null]
  return [...pair(q.warehouse), ...pair(q.location), ...pair(q.sku), ...pair(q.lot), q.category ?? null, q.category ?? null, q.category ?? null]
}

/** Stock levels from the cache, filtered, one row per product × location × lot or summed. */
export async function listLevels(trx: Knex.Transaction, query: LevelQuery = {}): Promise<StockLevel[]> {
  if (query.belowReorder) return belowReorder(trx, query)
  const by = query.by ?? 'location'
  const limit = query.limit ?? 1000
  const zero = query.includeZero === true
  if (by === 'location') {
    const rows = await queryRows<StockLevel>(
      trx,
      `select p.sku, p.name, w.code as warehouse, l.full_code as location, lo.code as lot,
              to_char(lo.expires_on, 'YYYY-MM-DD') as "expiresOn",
              trim_scale(s.on_hand)::text as "onHand", trim_scale(s.reserved)::text as reserved,
              trim_scale(s.on_hand - s.reserved)::text as available
         from stock_levels s
         join products p on p.id = s.product_id
         join locations l on l.id = s.location_id
         join warehouses w on w.id = l.warehouse_id
         left join lots lo on lo.id = s.lot_id
        where ${filters} and (? or s.on_hand <> 0 or s.reserved <> 0)
        order by p.sku, l.full_code, lo.expires_on nulls last, lo.code nulls first
        limit ?`,
      [...filterBindings(query), zero, limit],
    )
    return rows
  }
  const groupWarehouse = by === 'warehouse'
  const rows = await queryRows<StockLevel>(
      trx,
    `select p.sku, p.name, ${groupWarehouse ? 'w.code' : 'null::text'} as warehouse, null::text as location, null::text as lot,
            null::text as "expiresOn",
            trim_scale(sum(s.on_hand))::text as "onHand", trim_scale(sum(s.reserved))::text as reserved,
            trim_scale(sum(s.on_hand - s.reserved))::text as available
       from stock_levels s
       join products p on p.id = s.product_id
       join locations l on l.id = s.location_id
       join warehouses w on w.id = l.warehouse_id
       left join lots lo on lo.id = s.lot_id
      where ${filters}
      group by p.sku, p.name${groupWarehouse ? ', w.code' : ''}
     having ? or sum(s.on_hand) <> 0 or sum(s.reserved) <> 0
      order by p.sku${groupWarehouse ? ', w.code' : ''}
      limit ?`,
    [...filterBindings(query), zero, limit],
  )
  return rows
}

/**
 * Products whose available stock in a warehouse is under their reorder point, with the quantity
 * to order to get back to the maximum. Products with no stock at all are included.
 */
async function belowReorder(trx: Knex.Transaction, query: LevelQuery): Promise<StockLevel[]> {
  const rows = await queryRows<StockLevel>(
      trx,
    `select p.sku, p.name, w.code as warehouse, null::text as location, null::text as lot, null::text as "expiresOn",
            trim_scale(coalesce(a.on_hand, 0))::text as "onHand", trim_scale(coalesce(a.reserved, 0))::text as reserved,
            trim_scale(coalesce(a.on_hand - a.reserved, 0))::text as available,
            trim_scale(rp.min_qty)::text as "reorderMin", trim_scale(rp.max_qty)::text as "reorderMax",
            trim_scale(coalesce(rp.max_qty, rp.min_qty) - coalesce(a.on_hand - a.reserved, 0))::text as suggested
       from reorder_points rp
       join products p on p.id = rp.product_id
       join warehouses w on w.id = rp.warehouse_id
       left join lateral (
         select sum(s.on_hand) as on_hand, sum(s.reserved) as reserved
           from stock_levels s join locations sl on sl.id = s.location_id
          where s.product_id = rp.product_id and sl.warehouse_id = rp.warehouse_id
       ) a on true
       left join locations l on false
       left join lots lo on false
      where ${filters} and coalesce(a.on_hand - a.reserved, 0) < rp.min_qty
      order by p.sku, w.code
      limit ?`,
    [...filterBindings(query), query.limit ?? 1000],
  )
  return rows
}

/** The current levels of the given product × location pairs (what a command shows after a move). */
export async function levelsAt(
  trx: Knex.Transaction,
  keys: Array<{ productId: string; location: string }>,
): Promise<StockLevel[]> {
  if (keys.length === 0) return []
  const rows = await queryRows<StockLevel>(
      trx,
    `select p.sku, p.name, w.code as warehouse, l.full_code as location, lo.code as lot,
            to_char(lo.expires_on, 'YYYY-MM-DD') as "expiresOn",
            trim_scale(s.on_hand)::text as "onHand", trim_scale(s.reserved)::text as reserved,
            trim_scale(s.on_hand - s.reserved)::text as available
       from stock_levels s
       join (select distinct * from unnest(?::bigint[], ?::text[]) as k(product_id, location)) k on k.product_id = s.product_id
       join locations l on l.id = s.location_id and l.full_code = k.location
       join products p on p.id = s.product_id
       join warehouses w on w.id = l.warehouse_id
       left join lots lo on lo.id = s.lot_id
      order by p.sku, l.full_code, lo.expires_on nulls last, lo.code nulls first`,
    [keys.map((k) => k.productId), keys.map((k) => k.location)],
  )
  return rows
}
