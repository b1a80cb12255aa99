import { expect } from 'chai'
import type { Knex } from 'knex'

import type { ErpError } from '../../../src/lib/errors.js'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createPriceList } from '../../../src/lib/pricing/price-lists.js'
import { setPrice } from '../../../src/lib/pricing/prices.js'
import { receiveStock } from '../../../src/lib/stock/operations.js'
import { createWarehouse } from '../../../src/lib/stock/warehouses.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { uniqueSlug } from '../../helpers/database.js'

/**
 * A tenant to sell from: products WIDGET (standard tax 20 %, 10.00), BOOK (reduced 5.5 %, 9.99),
 * MILK (lot-tracked, two lots expiring at different dates), PHONE (serial-tracked), ODD (priced
 * 0.3333 for rounding cases); a net EUR default list; customers CASH (no limit), TIGHT (credit
 * limit 100, 30 days) and SLOW (14 days); warehouse WH1 holding `stock` units of WIDGET and BOOK.
 */
export async function salesTenant(db: Db, options: { prefix?: string; stock?: string } = {}): Promise<string> {
  const slug = uniqueSlug(options.prefix ?? 'so')
  await createTenant(db, { slug })
  await withTenant(db, slug, async (trx) => {
    await trx.raw(`
      insert into tax_rates (tax_class, rate) values ('standard', 20), ('reduced', 5.5);
      insert into products (sku, name, tax_class, tracking) values
        ('WIDGET', 'Widget', 'standard', 'none'), ('BOOK', 'Book', 'reduced', 'none'),
        ('MILK', 'Milk 1l', 'reduced', 'lot'), ('PHONE', 'Phone', 'standard', 'serial'), ('ODD', 'Odd part', 'standard', 'none');
      insert into customers (code, name, credit_limit, payment_terms_days, tax_id) values
        ('CASH', 'Cash & Carry <Ltd>', null, 30, 'FR123'), ('TIGHT', 'Tight Co', 100, 30, null), ('SLOW', 'Slow Payer', null, 14, null);
      insert into customer_addresses (customer_id, kind, is_default, line1, city, postal_code, country)
        select id, 'billing', true, '1 Rue de la Paix', 'Paris', '75002', 'FR' from customers where code = 'CASH';
    `)
    await createPriceList(trx, { code: 'RETAIL', currency: 'EUR', isDefault: true })
    for (const [sku, price] of [['WIDGET', '10'], ['BOOK', '9.99'], ['MILK', '1.20'], ['PHONE', '300'], ['ODD', '0.3333']]) {
      await setPrice(trx, { priceList: 'RETAIL', sku, price })
    }
    await createWarehouse(trx, { code: 'WH1' })
    const stock = options.stock ?? '100'
    await receiveStock(trx, { sku: 'WIDGET', qty: stock, location: 'WH1' })
    await receiveStock(trx, { sku: 'BOOK', qty: stock, location: 'WH1' })
    await receiveStock(trx, { sku: 'ODD', qty: '1000', location: 'WH1' })
    await receiveStock(trx, { sku: 'MILK', qty: '10', lot: 'L-LATE', expiresOn: '2099-12-31', location: 'WH1' })
    await receiveStock(trx, { sku: 'MILK', qty: '10', lot: 'L-SOON', expiresOn: '2098-01-31', location: 'WH1' })
    await receiveStock(trx, { sku: 'PHONE', qty: '3', serials: ['SN1', 'SN2', 'SN3'], location: 'WH1' })
  })
  return slug
}

export function inTenant<T>(db: Db, slug: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withTenant(db, slug, work)
}

/** The error a service call fails with (the test fails when it does not). */
export async function failure(promise: Promise<unknown>): Promise<ErpError> {
  try {
    await promise
  } catch (err) {
    // Services throw ErpError; raw statements refused by the database's own rules throw the driver's error.
    expect(err, String(err)).to.be.instanceOf(Error)
    return err as ErpError
  }
  throw new Error('expected a failure')
}

/** `count` drafts of CASH written set-based (one line each, totals matching); their ids in id order. */
export async function draftInvoices(trx: Knex.Transaction, count: number): Promise<string[]> {
  const { rows } = await trx.raw(
    `with d as (
       insert into invoices (customer_id, series, currency, tax_inclusive, payment_terms_days, net, tax, gross)
       select (select id from customers where code = 'CASH'), 'INV', 'EUR', false, 30, 10, 2, 12 from generate_series(1, ?::int)
       returning id
     ), l as (
       insert into invoice_lines (invoice_id, line_no, sku, description, qty, unit_price, tax_rate, net, tax, gross)
       select id, 1, 'WIDGET', 'Widget', 1, 10, 20, 10, 2, 12 from d
     )
     insert into invoice_taxes (invoice_id, rate, net, tax, gross) select id, 20, 10, 2, 12 from d returning invoice_id::text as id`,
    [count],
  )
  return rows.map((x: { id: string }) => x.id).sort((a: string, b: string) => Number(a) - Number(b))
}

/** The last number taken this year in the INV series (0 when none). */
export async function lastInvoiceSeq(trx: Knex.Transaction): Promise<number> {
  const { rows } = await trx.raw(`select coalesce(max(seq), 0)::int as last from invoices where series = 'INV' and year = extract(year from current_date)`)
  return rows[0].last
}
