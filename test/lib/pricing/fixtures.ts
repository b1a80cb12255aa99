import type { Knex } from 'knex'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { uniqueSlug } from '../../helpers/database.js'

/**
 * A tenant with a small catalog for pricing tests: categories Hardware > Tools > Power, a sibling
 * "Hardwarex" (a prefix trap), products, tax rates (standard 20, reduced 5.5), a customer group.
 */
export async function pricingTenant(db: Db, prefix = 'pr'): Promise<string> {
  const slug = uniqueSlug(prefix)
  await createTenant(db, { slug })
  await withTenant(db, slug, async (trx) => {
    await trx.raw(`
      insert into categories (name, parent_id, path) values ('Hardware', null, 'Hardware'), ('Hardwarex', null, 'Hardwarex');
      insert into categories (name, parent_id, path) select 'Tools', id, 'Hardware/Tools' from categories where path = 'Hardware';
      insert into categories (name, parent_id, path) select 'Power', id, 'Hardware/Tools/Power' from categories where path = 'Hardware/Tools';
      insert into products (sku, name, category_id, tax_class)
        select v.sku, v.name, c.id, v.tax_class
          from (values ('DRILL', 'Drill', 'Hardware/Tools/Power', 'standard'), ('HAMMER', 'Hammer', 'Hardware/Tools', 'standard'),
                       ('NAILS', 'Nails', 'Hardware', 'standard'), ('ODD', 'Odd thing', 'Hardwarex', 'standard'),
                       ('BOOK', 'Book', null, 'reduced'), ('GIFT', 'Gift card', null, 'zero'), ('EXOTIC', 'Exotic', null, 'luxury'))
               as v(sku, name, path, tax_class)
          left join categories c on c.path = v.path;
      insert into products (sku, name, active) values ('OLD', 'Old thing', false);
      insert into tax_rates (tax_class, rate) values ('standard', 20), ('reduced', 5.5);
      insert into customer_groups (code, name, discount_percent) values ('TRADE', 'Trade', 0), ('VIP', 'VIP', 5);
      insert into customers (code, name, group_id) select 'C-TRADE', 'Trade customer', id from customer_groups where code = 'TRADE';
      insert into customers (code, name, group_id) select 'C-VIP', 'VIP customer', id from customer_groups where code = 'VIP';
      insert into customers (code, name) values ('C-PLAIN', 'Walk-in');
    `)
  })
  return slug
}

export function inTenant<T>(db: Db, slug: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withTenant(db, slug, work)
}

const ROLLBACK = new Error('rollback')

/** Work in the tenant's scope, rolled back afterwards: each test sets up its own prices. */
export async function scratch<T>(db: Db, slug: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  let result: T | undefined
  try {
    await withTenant(db, slug, async (trx) => {
      result = await work(trx)
      throw ROLLBACK
    })
  } catch (err) {
    if (err !== ROLLBACK) throw err
  }
  return result as T
}
