import type { Knex } from 'knex'

import { usageError } from '../errors.js'
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
  /** The cursor a previous page gave (nextCursor): the rows after it. */
  after?: string
}

export interface LevelPage {
  items: StockLevel[]
  nextCursor: string | null
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

/**
 * How each listing is ordered, as the SQL of its sort key (unique per row; nulls given values that
 * sort where the listing puts them, so rows compare as tuples) and the same key read off a row: a
 * page's cursor is the key of its last row, and the next page is the rows whose key is greater.
 */
const SORT_KEYS = {
  location: {
    sql: [`p.sku`, `l.full_code`, `coalesce(lo.expires_on, 'infinity'::date)`, `coalesce(lo.code, '')`],
    casts: ['text', 'text', 'date', 'text'],
    of: (r: StockLevel) => [r.sku, r.location!, r.expiresOn ?? 'infinity', r.lot ?? ''],
  },
  warehouse: { sql: ['p.sku', 'w.code'], casts: ['text', 'text'], of: (r: StockLevel) => [r.sku, r.warehouse!] },
  product: { sql: ['p.sku'], casts: ['text'], of: (r: StockLevel) => [r.sku] },
} satisfies Record<string, { sql: string[]; casts: string[]; of: (r: StockLevel) => string[] }>
type SortKey = (typeof SORT_KEYS)[keyof typeof SORT_KEYS]

/** `order by` and the `after` condition of a listing (the condition true when there is no cursor). */
function paging(key: SortKey, after: string | undefined): { orderBy: string; after: string; bindings: unknown[] } {
  const orderBy = key.sql.join(', ')
  if (after === undefined) return { orderBy, after: 'true', bindings: [] }
  const values = readCursor(after, key.casts)
  return { orderBy, after: `(${orderBy}) > (${key.casts.map((c) => `?::${c}`).join(', ')})`, bindings: values }
}

/**
 * A cursor is the base64url text of the last row's sort key as a JSON array. It comes back from the
 * command line, so it is checked as any input: the right number of strings, dates as dates.
 */
function readCursor(cursor: string, casts: string[]): string[] {
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor.trim(), 'base64url').toString('utf8'))
  } catch {
    values = undefined
  }
  const ok = Array.isArray(values) && values.length === casts.length &&
    values.every((v, i) => typeof v === 'string' && v.length <= 1000 && (casts[i] !== 'date' || /^(\d{4}-\d{2}-\d{2}|infinity)$/.test(v)))
  if (!ok) {
    throw usageError(`--after "${cursor.slice(0, 80)}" is not a cursor of this listing`, {
      actions: ['Pass the nextCursor the previous page printed, with the same --by and --below-reorder'],
    })
  }
  return values as string[]
}

function page(rows: StockLevel[], limit: number, key: SortKey): LevelPage {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  return { items, nextCursor: Buffer.from(JSON.stringify(key.of(items.at(-1)!))).toString('base64url') }
}

/** Stock levels from the cache, filtered, one row per product × location × lot or summed; a page of `limit` rows. */
export async function listLevels(trx: Knex.Transaction, query: LevelQuery = {}): Promise<LevelPage> {
  if (query.belowReorder) return belowReorder(trx, query)
  const by = query.by ?? 'location'
  const limit = query.limit ?? 1000
  const zero = query.includeZero === true
  const key = SORT_KEYS[by]
  const { orderBy, after, bindings } = paging(key, query.after)
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
        where ${filters} and (? or s.on_hand <> 0 or s.reserved <> 0) and ${after}
        order by ${orderBy}
        limit ?`,
      [...filterBindings(query), zero, ...bindings, limit + 1],
    )
    return page(rows, limit, key)
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
     having (? or sum(s.on_hand) <> 0 or sum(s.reserved) <> 0) and ${after}
      order by ${orderBy}
      limit ?`,
    [...filterBindings(query), zero, ...bindings, limit + 1],
  )
  return page(rows, limit, key)
}

/**
 * Products whose available stock in a warehouse is under their reorder point, with the quantity
 * to order to get back to the maximum. Products with no stock at all are included.
 */
async function belowReorder(trx: Knex.Transaction, query: LevelQuery): Promise<LevelPage> {
  const limit = query.limit ?? 1000
  const { orderBy, after, bindings } = paging(SORT_KEYS.warehouse, query.after)
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
      where ${filters} and coalesce(a.on_hand - a.reserved, 0) < rp.min_qty and ${after}
      order by ${orderBy}
      limit ?`,
    [...filterBindings(query), ...bindings, limit + 1],
  )
  return page(rows, limit, SORT_KEYS.warehouse)
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
