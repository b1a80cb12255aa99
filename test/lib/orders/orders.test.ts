import { expect } from 'chai'
import type { Knex } from 'knex'

import { ErpError } from '../../../src/lib/errors.js'
import type { Db } from '../../../src/lib/db/connect.js'
import { createInvoice } from '../../../src/lib/invoices/create.js'
import { issueInvoice } from '../../../src/lib/invoices/issue.js'
import { payInvoice } from '../../../src/lib/invoices/payments.js'
import { agingReport, listInvoices } from '../../../src/lib/invoices/reports.js'
import { voidInvoice } from '../../../src/lib/invoices/void.js'
import { cancelOrder, confirmOrder, fulfilOrder, returnOrder } from '../../../src/lib/orders/lifecycle.js'
import { createOrder, getOrder, listOrders } from '../../../src/lib/orders/orders.js'
import { setSetting } from '../../../src/lib/settings/settings.js'
import { cloneTenant } from '../../../src/lib/tenants/clone.js'
import { openTestDb, uniqueSlug } from '../../helpers/database.js'
import { draftInvoices, failure, inTenant, lastInvoiceSeq, salesTenant } from './fixtures.js'

const level = async (trx: Knex.Transaction, sku: string) => {
  const { rows } = await trx.raw(
    `select trim_scale(coalesce(sum(on_hand), 0))::text as on_hand, trim_scale(coalesce(sum(reserved), 0))::text as reserved
       from stock_levels s join products p on p.id = s.product_id where p.sku = ?`,
    [sku],
  )
  return rows[0] as { on_hand: string; reserved: string }
}

describe('orders: lifecycle (services)', function () {
  this.timeout(60_000)
  let db: Db
  let slug: string
  const t = <T>(work: (trx: Knex.Transaction) => Promise<T>) => inTenant(db, slug, work)

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db)
  })
  after(async () => db.close())

  it('prices a new order with the resolver and records an override beside the list price', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '2' }, { sku: 'BOOK', qty: '1', unitPriceOverride: '8.00' }] }))
    expect(order.state).to.equal('draft')
    expect(order.reference).to.equal(`SO-${order.id}`)
    expect(order.lines.map((l) => [l.sku, l.unitPrice, l.priceSource, l.listUnitPrice, l.net, l.tax, l.gross])).to.deep.equal([
      ['WIDGET', '10.0000', 'list', null, '20.00', '4.00', '24.00'],
      ['BOOK', '8.0000', 'override', '9.9900', '8.00', '0.44', '8.44'],
    ])
    expect([order.net, order.tax, order.gross]).to.deep.equal(['28.00', '4.44', '32.44'])
  })

  it('refuses an order with unknown products or customers, and writes nothing', async () => {
    const before = await t(async (trx) => (await trx.raw('select count(*)::int as n from orders')).rows[0].n)
    const err = await failure(t((trx) => createOrder(trx, { customer: 'NOPE', lines: [{ sku: 'NOTHING', qty: '1' }, { sku: 'WIDGET', qty: '-1' }] })))
    expect(err.kind).to.equal('INVALID_DATA')
    const after = await t(async (trx) => (await trx.raw('select count(*)::int as n from orders')).rows[0].n)
    expect(after).to.equal(before)
  })

  it('goes draft → confirmed → partially fulfilled → fulfilled → closed, reserving and shipping stock', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '5' }, { sku: 'BOOK', qty: '2' }] }))
    const before = await t((trx) => level(trx, 'WIDGET'))
    const confirmed = await t((trx) => confirmOrder(trx, { order: order.id }))
    expect(confirmed.order.state).to.equal('confirmed')
    expect(confirmed.order.reservations.map((r) => [r.sku, r.qty])).to.deep.equal([['BOOK', '2'], ['WIDGET', '5']])
    expect((await t((trx) => level(trx, 'WIDGET'))).reserved).to.equal(String(Number(before.reserved) + 5))

    const part = await t((trx) => fulfilOrder(trx, { order: order.id, lines: [{ sku: 'WIDGET', qty: '3' }] }))
    expect(part.order.state).to.equal('partially_fulfilled')
    expect(part.moves.map((m) => [m.sku, m.qty, m.from, m.to])).to.deep.equal([['WIDGET', '3', 'WH1/STOCK', 'customer']])
    const full = await t((trx) => fulfilOrder(trx, { order: order.id }))
    expect(full.order.state).to.equal('fulfilled')
    expect(full.order.reservations).to.deep.equal([])
    expect(full.order.lines.map((l) => l.qtyFulfilled)).to.deep.equal(['5', '2'])

    const invoice = await t((trx) => createInvoice(trx, { order: order.id }))
    expect(invoice.state).to.equal('draft')
    expect(invoice.number).to.equal(null)
    expect([invoice.net, invoice.tax, invoice.gross]).to.deep.equal([order.net, order.tax, order.gross])
    expect((await t((trx) => getOrder(trx, order.id))).state).to.equal('closed')
  })

  it('finds the line a pick names by number or SKU, and names a pick that fits no line or several', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '2' }, { sku: 'WIDGET', qty: '1' }, { sku: 'BOOK', qty: '1' }] }))
    await t((trx) => confirmOrder(trx, { order: order.id }))
    const noLine = await failure(t((trx) => fulfilOrder(trx, { order: order.id, lines: [{ line: 9, qty: '1' }] })))
    expect(noLine.message).to.include(`SO-${order.id} has no line 9`)
    const several = await failure(t((trx) => fulfilOrder(trx, { order: order.id, lines: [{ sku: 'WIDGET', qty: '1' }] })))
    expect(several.message).to.include('WIDGET is on several lines: name the line number')
    const shipped = await t((trx) => fulfilOrder(trx, { order: order.id, lines: [{ line: 2 }, { sku: 'BOOK' }] }))
    expect(shipped.moves.map((m) => [m.sku, m.qty])).to.have.deep.members([['WIDGET', '1'], ['BOOK', '1']])
    const unknown = await failure(t((trx) => createInvoice(trx, { order: order.id, lines: [{ sku: 'GADGET' }] })))
    expect(unknown.message).to.include(`SO-${order.id} has no line GADGET`)
    const invoice = await t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 3 }] }))
    expect(invoice.lines.map((l) => [l.sku, l.qty])).to.deep.equal([['BOOK', '1']])
  })

  it('refuses transitions out of order: confirm twice, confirm or fulfil a cancelled order, fulfil a draft, cancel a shipped one', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '1' }] }))
    expect((await failure(t((trx) => fulfilOrder(trx, { order: order.id })))).message).to.match(/it is draft/)
    await t((trx) => confirmOrder(trx, { order: order.id }))
    expect((await failure(t((trx) => confirmOrder(trx, { order: order.id })))).kind).to.equal('CONFLICT')
    const cancelled = await t((trx) => cancelOrder(trx, { order: order.id }))
    expect(cancelled.order.state).to.equal('cancelled')
    expect(cancelled.released.map((r) => r.qty)).to.deep.equal(['1'])
    expect(cancelled.order.reservations).to.deep.equal([])
    const acts: Array<(trx: Knex.Transaction, input: { order: string }) => Promise<unknown>> = [confirmOrder, fulfilOrder, cancelOrder, returnOrder]
    for (const act of acts) {
      const err = await failure(t((trx) => act(trx, { order: order.id })))
      expect(err.kind).to.equal('CONFLICT')
      expect(err.message).to.match(/it is cancelled/)
    }
    const shipped = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '1' }] }))
    await t((trx) => confirmOrder(trx, { order: shipped.id }))
    await t((trx) => fulfilOrder(trx, { order: shipped.id }))
    expect((await failure(t((trx) => cancelOrder(trx, { order: shipped.id })))).message).to.match(/fulfilled/)
    expect((await failure(t((trx) => createInvoice(trx, { order: order.id })))).message).to.match(/cancelled/)
  })

  it('confirms all lines or none, naming every line short of stock', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '100000' }, { sku: 'MILK', qty: '500' }] }))
    const books = await t((trx) => level(trx, 'BOOK'))
    const err = await failure(t((trx) => confirmOrder(trx, { order: order.id })))
    expect(err.kind).to.equal('CONFLICT')
    expect(err.message).to.match(/line 2 WIDGET needs 100000/)
    expect(err.message).to.match(/line 3 MILK needs 500, 20 available/)
    expect((err.data as { shortages: Array<{ line: number }> }).shortages.map((s) => s.line)).to.deep.equal([2, 3])
    expect(await t((trx) => level(trx, 'BOOK'))).to.deep.equal(books)
    expect((await t((trx) => getOrder(trx, order.id))).state).to.equal('draft')
  })

  it('ships lots first-expiry-first-out and serials by name', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'MILK', qty: '12' }, { sku: 'PHONE', qty: '2' }] }))
    await t((trx) => confirmOrder(trx, { order: order.id }))
    const noSerial = await failure(t((trx) => fulfilOrder(trx, { order: order.id })))
    expect(noSerial.message).to.match(/serial-tracked: name the units/)
    const done = await t((trx) => fulfilOrder(trx, { order: order.id, serials: [{ sku: 'PHONE', serial: 'SN1' }, { sku: 'PHONE', serial: 'SN3' }] }))
    const milk = done.moves.filter((m) => m.sku === 'MILK').map((m) => [m.lot, m.qty]).sort()
    expect(milk).to.deep.equal([['L-LATE', '2'], ['L-SOON', '10']])
    expect(done.moves.find((m) => m.sku === 'PHONE')!.serials).to.have.members(['SN1', 'SN3'])
    expect(done.order.state).to.equal('fulfilled')
  })

  it('never invoices the same shipped quantity twice, also when two invoicers race', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '4' }] }))
    await t((trx) => confirmOrder(trx, { order: order.id }))
    await t((trx) => fulfilOrder(trx, { order: order.id, lines: [{ line: 1, qty: '3' }] }))
    const over = await failure(t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 1, qty: '4' }] })))
    expect(over.message).to.match(/only 3 shipped and not invoiced/)
    const results = await Promise.allSettled([1, 2, 3].map(() => t((trx) => createInvoice(trx, { order: order.id }))))
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1)
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason.message).to.match(/Nothing of SO-\d+ is left to invoice/)
    const again = await failure(t((trx) => createInvoice(trx, { order: order.id })))
    expect(again.kind).to.equal('CONFLICT')
    // The database refuses it too, whatever a service does.
    const direct = await failure(t((trx) => trx.raw('update order_lines set qty_invoiced = qty_invoiced + 1 where order_id = ?', [order.id])))
    expect(direct.message).to.match(/order_lines_invoiced_within_shipped|check/i)
  })

  it('invoices in parts that add up to the order line exactly (rounding)', async () => {
    for (const mode of ['half_up', 'half_even'] as const) {
      await t((trx) => setSetting(trx, 'rounding.mode', mode))
      const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'ODD', qty: '3' }, { sku: 'ODD', qty: '7.5' }] }))
      // 0.3333 × 3 = 0.9999 → 1.00; 0.3333 × 7.5 = 2.49975 → 2.50; tax 20 %: 0.20 and 0.50
      expect(order.lines.map((l) => [l.net, l.tax])).to.deep.equal([['1.00', '0.20'], ['2.50', '0.50']])
      await t((trx) => confirmOrder(trx, { order: order.id }))
      await t((trx) => fulfilOrder(trx, { order: order.id }))
      const parts = []
      for (const qty of ['1', '1', '1']) parts.push(await t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 1, qty }] })))
      // a third of 1.00 is 0.333… → 0.33, twice; the last part takes what is left: 0.34
      expect(parts.map((p) => p.net)).to.deep.equal(['0.33', '0.33', '0.34'])
      expect(parts.map((p) => p.tax)).to.deep.equal(['0.07', '0.07', '0.06'])
      const halves = [await t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 2, qty: '3.75' }] }))]
      // 2.50 / 2 = 1.25 exactly; its tax 0.25
      expect([halves[0].net, halves[0].tax]).to.deep.equal(['1.25', '0.25'])
    }
    // A tie: 0.125 → half_up 0.13, half_even 0.12
    await t((trx) => setSetting(trx, 'rounding.mode', 'half_even'))
    const even = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '1', unitPriceOverride: '0.125' }] }))
    await t((trx) => setSetting(trx, 'rounding.mode', 'half_up'))
    const up = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '1', unitPriceOverride: '0.125' }] }))
    expect([even.net, up.net]).to.deep.equal(['0.12', '0.13'])
  })

  it('takes goods back to where they came from and credits what was invoiced', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '4' }, { sku: 'MILK', qty: '2' }] }))
    await t((trx) => confirmOrder(trx, { order: order.id }))
    const shipped = await t((trx) => fulfilOrder(trx, { order: order.id }))
    const milkLot = shipped.moves.find((m) => m.sku === 'MILK')!.lot
    const invoice = await t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 1, qty: '2' }] }))
    await t((trx) => issueInvoice(trx, { invoice: invoice.id }))
    const before = await t((trx) => level(trx, 'WIDGET'))
    const back = await t((trx) => returnOrder(trx, { order: order.id, lines: [{ sku: 'WIDGET', qty: '3' }, { sku: 'MILK', qty: '1' }] }))
    expect(back.moves.map((m) => [m.sku, m.from, m.to, m.qty, m.lot])).to.deep.equal([
      ['WIDGET', 'customer', 'WH1/STOCK', '3', null],
      ['MILK', 'customer', 'WH1/STOCK', '1', milkLot],
    ])
    expect(Number((await t((trx) => level(trx, 'WIDGET'))).on_hand)).to.equal(Number(before.on_hand) + 3)
    // 2 invoiced, 1 kept: 1 is credited (the 2 others were never invoiced)
    expect(back.creditNote!.kind).to.equal('credit_note')
    expect(back.creditNote!.number).to.match(/^CN-\d{4}-\d{6}$/)
    expect(back.creditNote!.lines.map((l) => [l.sku, l.qty, l.net])).to.deep.equal([['WIDGET', '1', '10.00']])
    const line = back.order.lines[0]
    expect([line.qtyReturned, line.qtyInvoiced, line.qtyCredited]).to.deep.equal(['3', '2', '1'])
    // Now only the kept unit is invoiced, and the MILK kept: 1 of 2
    const rest = await t((trx) => createInvoice(trx, { order: order.id }))
    expect(rest.lines.map((l) => [l.sku, l.qty])).to.deep.equal([['MILK', '1']])
    expect((await failure(t((trx) => returnOrder(trx, { order: order.id, lines: [{ sku: 'WIDGET', qty: '2' }] })))).message).to.match(/only 1 shipped and not returned/)
  })

  it('enforces the credit limit and payment terms at confirm, unless overridden', async () => {
    const big = await t((trx) => createOrder(trx, { customer: 'TIGHT', lines: [{ sku: 'WIDGET', qty: '9' }] }))
    const err = await failure(t((trx) => confirmOrder(trx, { order: big.id })))
    expect(err.kind).to.equal('NOT_ALLOWED')
    expect(err.message).to.match(/credit limit 100\.00 exceeded/)
    const ok = await t((trx) => confirmOrder(trx, { order: big.id, override: 'director agreed' }))
    expect(ok.credit.overridden).to.equal(true)
    expect(ok.order.creditOverride).to.equal('director agreed')

    // An invoice past its terms blocks new orders of that customer.
    const slow = await t((trx) => createInvoice(trx, { customer: 'SLOW', lines: [{ sku: 'BOOK', qty: '1' }] }))
    await t((trx) => issueInvoice(trx, { invoice: slow.id, date: '2020-01-01' }))
    const next = await t((trx) => createOrder(trx, { customer: 'SLOW', lines: [{ sku: 'BOOK', qty: '1' }] }))
    expect((await failure(t((trx) => confirmOrder(trx, { order: next.id })))).message).to.match(/1 invoice\(s\) overdue/)
  })

  it('lets concurrent confirms of one customer squeeze under its credit limit only as far as it goes', async () => {
    await t((trx) => trx.raw(`insert into customers (code, name, credit_limit) values ('LIMIT', 'Limited', 100)`))
    const orders = []
    for (let i = 0; i < 6; i++) orders.push(await t((trx) => createOrder(trx, { customer: 'LIMIT', lines: [{ sku: 'WIDGET', qty: '2' }] })))
    const results = await Promise.allSettled(orders.map((o) => t((trx) => confirmOrder(trx, { order: o.id }))))
    // 24.00 each: four fit under 100, the others are refused.
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(4)
    for (const r of results) if (r.status === 'rejected') expect(r.reason.kind).to.equal('NOT_ALLOWED')
  })

  it('invoices tax-inclusive orders in parts that add up to the order line', async () => {
    await t(async (trx) => {
      await trx.raw(`
        insert into price_lists (code, name, currency, tax_inclusive) values ('GROSS', 'Consumer prices', 'EUR', true);
        insert into price_list_items (price_list_id, product_id, price)
          select l.id, p.id, 0.99 from price_lists l, products p where l.code = 'GROSS' and p.sku = 'WIDGET';
        insert into customer_groups (code, name, price_list_id) select 'B2C', 'Consumers', id from price_lists where code = 'GROSS';
        insert into customers (code, name, group_id) select 'ANNA', 'Anna', id from customer_groups where code = 'B2C';
      `)
    })
    const order = await t((trx) => createOrder(trx, { customer: 'ANNA', lines: [{ sku: 'WIDGET', qty: '7' }] }))
    // 7 × 0.99 = 6.93 gross, of which tax 6.93 × 20 / 120 = 1.155 → 1.16 (half_up), net 5.77
    expect([order.taxInclusive, order.gross, order.tax, order.net]).to.deep.equal([true, '6.93', '1.16', '5.77'])
    await t((trx) => confirmOrder(trx, { order: order.id }))
    await t((trx) => fulfilOrder(trx, { order: order.id }))
    const parts = []
    for (const qty of ['2', '2', '3']) parts.push(await t((trx) => createInvoice(trx, { order: order.id, lines: [{ line: 1, qty }] })))
    // 2 of 7: gross 1.98, tax 0.33, net 1.65; the last part takes the rest: 2.97, 0.50, 2.47
    expect(parts.map((p) => [p.gross, p.tax, p.net])).to.deep.equal([['1.98', '0.33', '1.65'], ['1.98', '0.33', '1.65'], ['2.97', '0.50', '2.47']])
  })

  it('lists orders by state, customer and date, a page at a time', async () => {
    const page1 = await t((trx) => listOrders(trx, { customer: 'CASH', limit: 2 }))
    expect(page1.items).to.have.length(2)
    expect(page1.nextCursor).to.equal(page1.items[1].id)
    const page2 = await t((trx) => listOrders(trx, { customer: 'CASH', limit: 2, before: page1.nextCursor! }))
    expect(Number(page2.items[0].id)).to.be.lessThan(Number(page1.items[1].id))
    const cancelled = await t((trx) => listOrders(trx, { state: 'cancelled' }))
    expect(cancelled.items.every((o) => o.state === 'cancelled')).to.equal(true)
    expect((await t((trx) => listOrders(trx, { from: '2999-01-01' }))).items).to.deep.equal([])
    expect((await failure(t((trx) => listOrders(trx, { from: 'yesterday' })))).kind).to.equal('INVALID_DATA')
  })

  it('never oversells when confirms race for scarce stock', async () => {
    const scarce = await salesTenant(db, { stock: '5' })
    const orders = []
    for (let i = 0; i < 12; i++) orders.push(await inTenant(db, scarce, (trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '1' }] })))
    const results = await Promise.allSettled(orders.map((o) => inTenant(db, scarce, (trx) => confirmOrder(trx, { order: o.id }))))
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(5)
    for (const r of results) if (r.status === 'rejected') expect(r.reason.message).to.match(/not enough stock/)
    const levels = await inTenant(db, scarce, async (trx) => [await level(trx, 'WIDGET'), await level(trx, 'BOOK')])
    expect(levels).to.deep.equal([{ on_hand: '5', reserved: '5' }, { on_hand: '5', reserved: '5' }])
  })
})

describe('invoices: issue, pay, void (services)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  const t = <T>(work: (trx: Knex.Transaction) => Promise<T>) => inTenant(db, slug, work)
  const draft = () => t((trx) => createInvoice(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '3' }, { sku: 'BOOK', qty: '2' }] }))

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'inv' })
  })
  after(async () => db.close())

  it('numbers at issue, gapless, in the tenant\'s format; refuses to issue twice', async () => {
    const a = await draft()
    expect(a.number).to.equal(null)
    expect(a.taxes).to.deep.equal([
      { rate: '5.5', net: '19.98', tax: '1.10', gross: '21.08' },
      { rate: '20', net: '30.00', tax: '6.00', gross: '36.00' },
    ])
    const issued = await t((trx) => issueInvoice(trx, { invoice: a.id, date: '2026-03-01' }))
    expect(issued.number).to.equal('INV-2026-000001')
    expect([issued.state, issued.issueDate, issued.dueDate]).to.deep.equal(['issued', '2026-03-01', '2026-03-31'])
    expect((await failure(t((trx) => issueInvoice(trx, { invoice: a.id })))).message).to.match(/it is issued/)
    // A failed issue gives its number back.
    const b = await draft()
    await failure(t(async (trx) => {
      await issueInvoice(trx, { invoice: b.id, date: '2026-03-02' })
      throw new ErpError('FAILED', 'crash after issuing')
    }))
    expect((await t((trx) => issueInvoice(trx, { invoice: b.id, date: '2026-03-02' }))).number).to.equal('INV-2026-000002')
    await t((trx) => setSetting(trx, 'invoices.number_format', 'F{YY}/{NNNN}'))
    const c = await draft()
    expect((await t((trx) => issueInvoice(trx, { invoice: c.id, date: '2026-04-01' }))).number).to.equal('F26/0003')
    const d = await draft()
    expect((await t((trx) => issueInvoice(trx, { invoice: d.id, date: '2027-01-02' }))).number).to.equal('F27/0001')
    await t((trx) => setSetting(trx, 'invoices.number_format', 'INV-{YYYY}-{NNNNNN}'))
  })

  it('records partial payments up to paid, and refuses paying a draft, over-paying and paying a paid invoice', async () => {
    const inv = await draft()
    const err = await failure(t((trx) => payInvoice(trx, { invoice: inv.id, amount: '1', method: 'bank' })))
    expect(err.message).to.match(/Cannot pay draft invoice \d+: it is draft/)
    await t((trx) => issueInvoice(trx, { invoice: inv.id, date: '2026-11-02' }))
    const part = await t((trx) => payInvoice(trx, { invoice: inv.id, amount: '50', method: 'bank' }))
    expect([part.invoice.state, part.invoice.paid, part.invoice.due]).to.deep.equal(['partially_paid', '50.00', '7.08'])
    const over = await failure(t((trx) => payInvoice(trx, { invoice: inv.number ?? inv.id, amount: '7.09', method: 'card' })))
    expect(over.message).to.match(/Over-payment refused: .* has 7\.08 due, 7\.09 was offered/)
    const bad = await failure(t((trx) => payInvoice(trx, { invoice: inv.id, amount: 'lots', method: '!' })))
    expect((bad.data as { problems: unknown[] }).problems).to.have.length(2)
    const rest = await t((trx) => payInvoice(trx, { invoice: inv.id, amount: '7.08', method: 'card', date: '2026-12-01' }))
    expect([rest.invoice.state, rest.invoice.due, rest.invoice.payments.length]).to.deep.equal(['paid', '0.00', 2])
    expect((await failure(t((trx) => payInvoice(trx, { invoice: inv.id, amount: '0.01', method: 'bank' })))).message).to.match(/it is paid/)
    expect((await failure(t((trx) => voidInvoice(trx, { invoice: inv.id })))).message).to.match(/it is paid/)
  })

  it('voids with a credit note of its own series, once; a credit note is neither voided nor paid', async () => {
    const inv = await draft()
    await t((trx) => issueInvoice(trx, { invoice: inv.id }))
    const voided = await t((trx) => voidInvoice(trx, { invoice: inv.id }))
    expect(voided.invoice.state).to.equal('void')
    expect(voided.creditNote!.number).to.match(/^CN-\d{4}-\d{6}$/)
    expect(voided.creditNote!.credits).to.equal(voided.invoice.number)
    expect(voided.creditNote!.gross).to.equal(voided.invoice.gross)
    expect((await failure(t((trx) => voidInvoice(trx, { invoice: inv.id })))).message).to.match(/it is void/)
    expect((await failure(t((trx) => voidInvoice(trx, { invoice: voided.creditNote!.id })))).message).to.match(/credit note/)
    expect((await failure(t((trx) => payInvoice(trx, { invoice: voided.creditNote!.id, amount: '1', method: 'bank' })))).message).to.match(/credit note/)
    expect((await failure(t((trx) => payInvoice(trx, { invoice: inv.id, amount: '1', method: 'bank' })))).message).to.match(/it is void/)
    // A draft is voided without a credit note.
    const d = await draft()
    expect((await t((trx) => voidInvoice(trx, { invoice: d.id }))).creditNote).to.equal(null)
  })

  it('makes a voided order invoice invoiceable again', async () => {
    const order = await t((trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'WIDGET', qty: '2' }] }))
    // CASH has overdue invoices by now (issued on past dates above): confirm past that.
    await t((trx) => confirmOrder(trx, { order: order.id, override: 'test' }))
    await t((trx) => fulfilOrder(trx, { order: order.id }))
    const first = await t((trx) => createInvoice(trx, { order: order.id }))
    await t((trx) => issueInvoice(trx, { invoice: first.id }))
    expect((await t((trx) => getOrder(trx, order.id))).state).to.equal('closed')
    await t((trx) => voidInvoice(trx, { invoice: first.id }))
    expect((await t((trx) => getOrder(trx, order.id))).state).to.equal('fulfilled')
    const second = await t((trx) => createInvoice(trx, { order: order.id }))
    expect(second.gross).to.equal(first.gross)
  })

  it('keeps issued invoices immutable and totals equal to their lines, in the database itself', async () => {
    const inv = await draft()
    // A draft whose totals disagree with its lines is refused at commit.
    const mismatch = await failure(t((trx) => trx.raw('update invoices set net = net + 1, gross = gross + 1 where id = ?', [inv.id])))
    expect(mismatch.message).to.match(/differ from the sum of its lines/)
    const extraLine = await failure(t((trx) => trx.raw(
      `insert into invoice_lines (invoice_id, line_no, description, qty, unit_price, tax_rate, net, tax, gross) values (?, 9, 'x', 1, 1, 20, 1, 0.2, 1.2)`, [inv.id],
    )))
    expect(extraLine.message).to.match(/differ from the sum of its lines/)
    const taxes = await failure(t((trx) => trx.raw('update invoice_taxes set tax = tax + 0.01, gross = gross + 0.01 where invoice_id = ? and rate = 20', [inv.id])))
    expect(taxes.message).to.match(/tax summary at rate 20/)
    await t((trx) => issueInvoice(trx, { invoice: inv.id }))
    for (const sql of [
      'update invoice_lines set qty = 1 where invoice_id = ?',
      'delete from invoice_lines where invoice_id = ?',
      'update invoices set net = 0, tax = 0, gross = 0 where id = ?',
      `update invoices set number = 'X' where id = ?`,
      'delete from invoices where id = ?',
      `update invoice_taxes set rate = 1 where invoice_id = ?`,
      `insert into invoice_lines (invoice_id, line_no, description, qty, unit_price, tax_rate, net, tax, gross) values (?, 9, 'x', 1, 0, 0, 0, 0, 0)`,
    ]) {
      const err = await failure(t((trx) => trx.raw(sql, [inv.id])))
      expect(err.message, sql).to.match(/immutable|cannot change|cannot be deleted/)
    }
  })

  it('ages receivables per customer into 0-30, 31-60, 61-90 and 90+ days, and lists what is overdue', async () => {
    await t((trx) => trx.raw(`insert into customers (code, name, payment_terms_days) values ('AGED', 'Aged receivables', 30)`))
    const at = async (date: string, pay?: string) => {
      const inv = await t((trx) => createInvoice(trx, { customer: 'AGED', lines: [{ sku: 'WIDGET', qty: '1' }] }))
      await t((trx) => issueInvoice(trx, { invoice: inv.id, date }))
      if (pay) await t((trx) => payInvoice(trx, { invoice: inv.id, amount: pay, method: 'bank', date: '2026-06-01' }))
      return inv
    }
    // As of 2026-06-30: 0 days, 30, 31, 60, 61, 90, 91 days old; one of them half paid (on 2026-06-01).
    for (const [date, pay] of [['2026-06-30'], ['2026-05-31'], ['2026-05-30', '2.00'], ['2026-05-01'], ['2026-04-30'], ['2026-04-01'], ['2026-03-31']] as Array<[string, string?]>) {
      await at(date, pay)
    }
    const report = await t((trx) => agingReport(trx, { asOf: '2026-06-30', customer: 'AGED' }))
    expect(report.rows).to.deep.equal([{
      customer: 'AGED', name: 'Aged receivables', currency: 'EUR',
      d0_30: '24.00', d31_60: '22.00', d61_90: '24.00', d90_plus: '12.00', credits: '0.00', total: '82.00',
    }])
    const overdue = await t((trx) => listInvoices(trx, { customer: 'AGED', overdue: true, asOf: '2026-06-30' }))
    // Due 30 days after issue: those issued before 2026-05-31 are late.
    expect(overdue.items.map((i) => [i.issueDate, i.daysOverdue])).to.deep.equal([
      ['2026-03-31', 61], ['2026-04-01', 60], ['2026-04-30', 31], ['2026-05-01', 30], ['2026-05-30', 1],
    ])
  })

  it('clones a tenant holding issued invoices (the copy writes their lines in its own transaction)', async () => {
    const to = uniqueSlug('invc')
    await cloneTenant(db, slug, to)
    const count = (s: string) => inTenant(db, s, async (trx) => (await trx.raw(
      `select count(*)::int as n, coalesce(sum(gross), 0)::text as gross from invoice_lines`,
    )).rows[0])
    expect(await count(to)).to.deep.equal(await count(slug))
    const issued = await inTenant(db, to, async (trx) => (await trx.raw(`select id from invoices where state = 'issued' limit 1`)).rows[0].id)
    const err = await failure(inTenant(db, to, (trx) => trx.raw('update invoice_lines set qty = 2 where invoice_id = ?', [issued])))
    expect(err.message).to.match(/cannot change/)
  })

  it('issues 800 invoices from 8 parallel workers: 800 distinct numbers, no gap, in issue order', async () => {
    const start = await t(lastInvoiceSeq)
    const ids = await t((trx) => draftInvoices(trx, 800))
    const workers = Array.from({ length: 8 }, (_, w) => (async () => {
      const mine = ids.filter((_, i) => i % 8 === w)
      for (const id of mine) await t((trx) => issueInvoice(trx, { invoice: id }))
    })())
    await Promise.all(workers)
    const issued = await t(async (trx) => (await trx.raw(
      `select seq::int, number, issued_at from invoices where id = any(?::bigint[]) order by issued_at, seq`, [ids],
    )).rows as Array<{ seq: number; number: string }>)
    const seqs = issued.map((r) => r.seq)
    expect(new Set(issued.map((r) => r.number)).size).to.equal(800)
    expect(seqs).to.deep.equal(Array.from({ length: 800 }, (_, i) => start + i + 1))
  })
})
