import { expect } from 'chai'
import type { Knex } from 'knex'

import type { Db } from '../../../src/lib/db/connect.js'
import { createInvoice } from '../../../src/lib/invoices/create.js'
import { confirmOrder, fulfilOrder } from '../../../src/lib/orders/lifecycle.js'
import { createOrder } from '../../../src/lib/orders/orders.js'
import { receiveStock } from '../../../src/lib/stock/operations.js'
import { openTestDb } from '../../helpers/database.js'
import { failure, inTenant, salesTenant } from './fixtures.js'

/**
 * The credit check counts in the order's currency: exposure and order are rounded to its scale
 * (0 digits for JPY, 3 for KWD), so an order that takes the customer exactly to the limit passes
 * and one minor unit more does not. Rounding to 2 places got both currencies wrong at the boundary.
 */
describe('orders: the credit check at the limit, in the currency\'s scale', function () {
  this.timeout(60_000)
  let db: Db
  let slug: string
  const t = <T>(work: (trx: Knex.Transaction) => Promise<T>) => inTenant(db, slug, work)
  const order = (customer: string, unitPrice: string, qty = '1') =>
    t((trx) => createOrder(trx, { customer, lines: [{ sku: 'GIFT', qty, unitPriceOverride: unitPrice }] }))

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'credit' })
    await t(async (trx) => {
      // Untaxed gift cards, so the amounts below are the orders' gross as written.
      await trx.raw(`
        insert into tax_rates (tax_class, rate) values ('zero', 0) on conflict (tax_class) do update set rate = 0;
        insert into products (sku, name, tax_class, tracking) values ('GIFT', 'Gift card', 'zero', 'none');
        insert into price_lists (code, name, currency, tax_inclusive) values ('KW', 'Kuwait', 'KWD', false), ('JP', 'Japan', 'JPY', false);
        insert into price_list_items (price_list_id, product_id, price)
          select l.id, p.id, 1 from price_lists l, products p where l.code in ('KW', 'JP') and p.sku = 'GIFT';
        insert into customer_groups (code, name, price_list_id) select code, name, id from price_lists where code in ('KW', 'JP');
        insert into customers (code, name, group_id, credit_limit) select 'KWC', 'Kuwait Trading', id, 100 from customer_groups where code = 'KW';
        insert into customers (code, name, group_id, credit_limit) select 'JPC', 'Tokyo Shoji', id, 1001 from customer_groups where code = 'JP';
      `)
      await receiveStock(trx, { sku: 'GIFT', qty: '100', location: 'WH1' })
    })
  })
  after(async () => db.close())

  it('KWD (3 digits): 99.995 open + 0.005 reaches a limit of 100 exactly and is confirmed; 0.001 more is refused', async () => {
    const first = await order('KWC', '99.995')
    expect([first.currency, first.gross]).to.deep.equal(['KWD', '99.995'])
    await t((trx) => confirmOrder(trx, { order: first.id }))

    // To 2 places the open 99.995 became 100.00 (half even), and 100.00 + 0.005 was over the limit.
    const exact = await order('KWC', '0.005')
    const confirmed = await t((trx) => confirmOrder(trx, { order: exact.id }))
    expect(confirmed.credit).to.deep.include({ exposure: '99.995', orderGross: '0.005', problems: [], overridden: false })

    const over = await order('KWC', '0.001')
    const err = await failure(t((trx) => confirmOrder(trx, { order: over.id })))
    expect(err.kind).to.equal('NOT_ALLOWED')
    expect(err.message).to.include('credit limit 100.000 exceeded (open 100.000 + this order 0.001)')
  })

  it('JPY (0 digits): what is left of a part-invoiced order counts in whole yen, so 1 yen reaches a limit of 1,001 exactly', async () => {
    // 3 × 333.3333 = 999.9999 → 1000 yen; 2 shipped and invoiced (666.67 → 667), 1 left: 1000 × 1/3.
    const first = await order('JPC', '333.3333', '3')
    expect([first.currency, first.gross]).to.deep.equal(['JPY', '1000'])
    await t((trx) => confirmOrder(trx, { order: first.id }))
    await t((trx) => fulfilOrder(trx, { order: first.id, lines: [{ line: 1, qty: '2' }] }))
    const invoice = await t((trx) => createInvoice(trx, { order: first.id }))
    expect(invoice.gross).to.equal('667')

    // Open: 667 invoiced + 333.333… not yet = 1000 yen. To 2 places it was 1000.33, and 1000.33 + 1 > 1001.
    const exact = await order('JPC', '1')
    const confirmed = await t((trx) => confirmOrder(trx, { order: exact.id }))
    expect(confirmed.credit).to.deep.include({ exposure: '1000', orderGross: '1', problems: [] })

    const over = await order('JPC', '1')
    const err = await failure(t((trx) => confirmOrder(trx, { order: over.id })))
    expect(err.kind).to.equal('NOT_ALLOWED')
    expect(err.message).to.include('credit limit 1001 exceeded (open 1001 + this order 1)')
  })

  it('EUR (2 digits) reads as before: an order that reaches the limit exactly passes', async () => {
    await t((trx) => trx.raw(`insert into customers (code, name, credit_limit) values ('EXACT', 'Exact GmbH', 24)`))
    const fits = await t((trx) => createOrder(trx, { customer: 'EXACT', lines: [{ sku: 'WIDGET', qty: '2' }] })) // 2 × 10 + 20 % = 24.00
    const confirmed = await t((trx) => confirmOrder(trx, { order: fits.id }))
    expect(confirmed.credit).to.deep.include({ creditLimit: '24.00', exposure: '0.00', orderGross: '24.00', problems: [] })
    const next = await t((trx) => createOrder(trx, { customer: 'EXACT', lines: [{ sku: 'GIFT', qty: '1', unitPriceOverride: '0.01' }] }))
    const err = await failure(t((trx) => confirmOrder(trx, { order: next.id })))
    expect(err.message).to.include('credit limit 24.00 exceeded (open 24.00 + this order 0.01)')
  })
})
