import type { Knex } from 'knex'
import { queryRows } from '../db/query-rows.js'

/**
 * Turning the names operators type (SKUs, location codes, lot codes) into rows, for many names
 * in one query each. Nothing here throws for an unknown name: callers collect every problem and
 * report them together.
 */

export const VIRTUAL_KINDS = ['supplier', 'customer', 'adjustment', 'scrap'] as const
export type VirtualKind = (typeof VIRTUAL_KINDS)[number]
export type LocationKind = 'internal' | VirtualKind

/**
 * How a location is named: `WH1/A-01` (a location in warehouse WH1), `WH1` (the warehouse's
 * default location), or `supplier` / `customer` / `adjustment` / `scrap` (virtual locations).
 */
export type LocationRef = string

export interface ResolvedLocation {
  ref: string
  id: string
  fullCode: string
  kind: LocationKind
  active: boolean
  warehouseId: string | null
  warehouse: string | null
  warehouseActive: boolean | null
}

export async function resolveLocations(trx: Knex.Transaction, refs: string[]): Promise<Map<string, ResolvedLocation>> {
  const unique = [...new Set(refs)]
  if (unique.length === 0) return new Map()
  let found = await findLocations(trx, unique)
  if (unique.some((ref) => isVirtualKind(ref) && !found.has(ref))) {
    await ensureVirtualLocations(trx)
    found = await findLocations(trx, unique)
  }
  return found
}

async function findLocations(trx: Knex.Transaction, refs: string[]): Promise<Map<string, ResolvedLocation>> {
  const rows = await queryRows<ResolvedLocation>(
    trx,
    `select r.ref, l.id, l.full_code as "fullCode", l.kind, l.active, l.warehouse_id as "warehouseId",
            w.code as warehouse, w.active as "warehouseActive"
       from unnest(?::text[]) as r(ref)
       left join warehouses wd on position('/' in r.ref) = 0 and wd.code = r.ref
       join locations l on l.full_code = r.ref or (l.warehouse_id = wd.id and l.is_default)
       left join warehouses w on w.id = l.warehouse_id`,
    [refs],
  )
  return new Map(rows.map((row) => [row.ref, row]))
}

const isVirtualKind = (ref: string): ref is VirtualKind => (VIRTUAL_KINDS as readonly string[]).includes(ref)

/**
 * The virtual locations, created on first use rather than by the migration: a tenant's rows
 * copied into freshly migrated tables (clone, restore) then meet none of the migration's own.
 */
export async function ensureVirtualLocations(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `insert into locations (code, full_code, name, kind)
     select kind, kind, name, kind
       from (values ('supplier', 'Suppliers (receipts)'), ('customer', 'Customers (shipments, returns)'),
                    ('adjustment', 'Inventory adjustments and counts'), ('scrap', 'Scrapped stock')) as v(kind, name)
     on conflict (full_code) do nothing`,
  )
}

/** The id of a virtual location, created if need be. */
export async function virtualLocationId(trx: Knex.Transaction, kind: VirtualKind): Promise<string> {
  const found = (await resolveLocations(trx, [kind])).get(kind)
  return found!.id
}

export interface ResolvedWarehouse {
  code: string
  id: string
  name: string
  active: boolean
}

export async function resolveWarehouses(trx: Knex.Transaction, codes: string[]): Promise<Map<string, ResolvedWarehouse>> {
  const unique = [...new Set(codes)]
  if (unique.length === 0) return new Map()
  const rows: ResolvedWarehouse[] = await trx('warehouses')
    .select({ code: 'code', id: 'id', name: 'name', active: 'active' })
    .whereIn('code', unique)
  return new Map(rows.map((row) => [row.code, row]))
}

export type Tracking = 'none' | 'lot' | 'serial'

export interface ResolvedProduct {
  key: string
  id: string
  sku: string
  name: string
  tracking: Tracking
  active: boolean
  cost: string | null
}

/** Products by SKU or by id (the key is whichever was given). */
export async function resolveProducts(
  trx: Knex.Transaction,
  refs: Array<{ sku?: string; productId?: string }>,
): Promise<Map<string, ResolvedProduct>> {
  const skus = [...new Set(refs.filter((r) => r.productId === undefined && r.sku !== undefined).map((r) => r.sku!))]
  const ids = [...new Set(refs.filter((r) => r.productId !== undefined).map((r) => r.productId!))].filter((id) => /^\d{1,18}$/.test(id))
  if (skus.length === 0 && ids.length === 0) return new Map()
  const rows = await queryRows<Omit<ResolvedProduct, 'key'>>(
      trx,
    `select p.id, p.sku, p.name, p.tracking, (p.active and p.archived_at is null) as active, p.cost
       from products p
      where p.sku = any(?::text[]) or p.id = any(?::bigint[])`,
    [skus, ids],
  )
  const map = new Map<string, ResolvedProduct>()
  const skuSet = new Set(skus)
  const idSet = new Set(ids)
  for (const row of rows) {
    if (skuSet.has(row.sku)) map.set(row.sku, { ...row, key: row.sku })
    if (idSet.has(row.id)) map.set(`#${row.id}`, { ...row, key: `#${row.id}` })
  }
  return map
}

/** The key resolveProducts files a product under. */
export const productKey = (ref: { sku?: string; productId?: string }): string =>
  ref.productId !== undefined ? `#${ref.productId}` : ref.sku ?? ''

/**
 * How a line names its product, for messages: by SKU, the resolved product's when the line gave an
 * id (order lines do), so an operator never has to look up "product #2".
 */
export const productLabel = (ref: { sku?: string; productId?: string }, resolved?: { sku: string }): string =>
  resolved?.sku ?? ref.sku ?? (ref.productId !== undefined ? `product #${ref.productId}` : '(no product)')

export interface ResolvedLot {
  id: string
  productId: string
  code: string
  expiresOn: string | null
  expired: boolean
}

/** Lots by (product id, code); the key is `${productId}:${code}`. */
export async function resolveLots(
  trx: Knex.Transaction,
  pairs: Array<{ productId: string; code: string }>,
): Promise<Map<string, ResolvedLot>> {
  if (pairs.length === 0) return new Map()
  const rows = await queryRows<ResolvedLot>(
      trx,
    `select l.id, l.product_id as "productId", l.code, to_char(l.expires_on, 'YYYY-MM-DD') as "expiresOn",
            coalesce(l.expires_on < current_date, false) as expired
       from lots l
       join unnest(?::bigint[], ?::text[]) as k(product_id, code) on k.product_id = l.product_id and k.code = l.code`,
    [pairs.map((p) => p.productId), pairs.map((p) => p.code)],
  )
  return new Map(rows.map((row) => [`${row.productId}:${row.code}`, row]))
}

/** SQL expression: whether the tenant lets stock go below zero (setting stock.allow_negative). */
export const ALLOW_NEGATIVE_SQL = `coalesce((select value = 'true'::jsonb from settings where key = 'stock.allow_negative'), false)`

export async function allowNegativeStock(trx: Knex.Transaction): Promise<boolean> {
  const [row] = await queryRows<{ allowed: boolean }>(trx, `select ${ALLOW_NEGATIVE_SQL} as allowed`)
  return row.allowed
}
