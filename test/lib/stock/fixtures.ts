import type { Knex } from 'knex'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { createLocation } from '../../../src/lib/stock/locations.js'
import { createWarehouse } from '../../../src/lib/stock/warehouses.js'
import { uniqueSlug } from '../../helpers/database.js'

/**
 * A tenant ready for stock tests: products of each tracking mode (inserted with SQL: the catalog
 * commands are another module's), warehouses WH1 (locations STOCK default, A-01) and WH2.
 */
export const PRODUCTS = [
  { sku: 'BOLT', name: 'Bolt M6', tracking: 'none', cost: '0.25' },
  { sku: 'NUT', name: 'Nut M6', tracking: 'none', cost: '0.1000' },
  { sku: 'BOLT, M8', name: 'Bolt M8 (comma in SKU)', tracking: 'none', cost: '0.40' },
  { sku: 'MILK', name: 'Milk 1l', tracking: 'lot', cost: '0.80' },
  { sku: 'PHONE', name: 'Phone X', tracking: 'serial', cost: '300' },
  { sku: 'NOCOST', name: 'Sample without cost', tracking: 'none', cost: null },
] as const

export async function stockTenant(db: Db, prefix = 'stk'): Promise<string> {
  const slug = uniqueSlug(prefix)
  await createTenant(db, { slug })
  await inTenant(db, slug, async (trx) => {
    await trx.raw(`insert into categories (name, path) values ('hardware', 'hardware')`)
    await trx.raw(`insert into categories (name, parent_id, path) select 'fasteners', id, 'hardware/fasteners' from categories where path = 'hardware'`)
    await trx.raw(`insert into categories (name, path) values ('food', 'food')`)
    for (const p of PRODUCTS) {
      const category = p.sku.startsWith('BOLT') || p.sku === 'NUT' ? 'hardware/fasteners' : p.sku === 'MILK' ? 'food' : null
      await trx.raw(
        `insert into products (sku, name, tracking, cost, category_id)
         values (?, ?, ?, ?, (select id from categories where path = ?))`,
        [p.sku, p.name, p.tracking, p.cost, category],
      )
    }
    await createWarehouse(trx, { code: 'WH1', name: 'Main' })
    await createLocation(trx, { fullCode: 'WH1/A-01' })
    await createWarehouse(trx, { code: 'WH2', name: 'Second' })
  })
  return slug
}

export function inTenant<T>(db: Db, slug: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withTenant(db, slug, (trx) => work(trx))
}

/** Rows of a query inside the tenant (assertions on what is stored). */
export async function rows<T = Record<string, unknown>>(db: Db, slug: string, sql: string, bindings: unknown[] = []): Promise<T[]> {
  return inTenant(db, slug, async (trx) => (await trx.raw(sql, bindings as readonly Knex.RawBinding[])).rows as T[])
}

/** on_hand of a product at a location (lot optional), '0' when there is no level row. */
export async function onHand(db: Db, slug: string, sku: string, location: string, lot?: string): Promise<string> {
  const [row] = await rows<{ on_hand: string }>(
    db,
    slug,
    `select coalesce(trim_scale(sum(s.on_hand)), 0)::text as on_hand
       from stock_levels s join products p on p.id = s.product_id join locations l on l.id = s.location_id
       left join lots lo on lo.id = s.lot_id
      where p.sku = ? and l.full_code = ? and (?::text is null or lo.code = ?)`,
    [sku, location, lot ?? null, lot ?? null],
  )
  return row.on_hand
}

export async function moveCount(db: Db, slug: string): Promise<number> {
  const [row] = await rows<{ n: number }>(db, slug, 'select count(*)::int as n from stock_moves')
  return row.n
}
