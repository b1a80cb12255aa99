import { expect } from 'chai'
import type { Knex } from 'knex'

import { BatchError } from '../../../src/lib/batch.js'
import type { Db } from '../../../src/lib/db/connect.js'
import { invoiceOrders } from '../../../src/lib/invoices/from-orders.js'
import { issueInvoices } from '../../../src/lib/invoices/issue.js'
import { confirmOrders, fulfilOrders } from '../../../src/lib/orders/lifecycle.js'
import { createOrder, getOrder } from '../../../src/lib/orders/orders.js'
import { openTestDb } from '../../helpers/database.js'
import { draftInvoices, failure, inTenant, lastInvoiceSeq, salesTenant } from './fixtures.js'

const level = async (trx: Knex.Transaction, sku: string) => (await trx.raw(
  `select trim_scale(sum(on_hand))::text as on_hand, trim_scale(sum(reserved))::text as reserved
     from stock_levels s join products p on p.id = s.product_id where p.sku = ?`,
  [sku],
)).rows[0] as { on_hand: string; reserved: string }

/** Orders read one after the other (one connection runs one query at a time). */
async function orderStates(trx: Knex.Transaction, ids: string[]) {
  const orders = []
  for (const id of ids) orders.push(await getOrder(trx, id))
  return orders
}

describe('orders and invoices in batches (services)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  const t = <T>(work: (trx: Knex.Transaction) => Promise<T>) => inTenant(db, slug, work)
  const order = (customer: string, lines: Array<{ sku: string; qty: string }>) => t((trx) => createOrder(trx, { customer, lines })).then((o) => o.id)

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'sob' })
  })
  after(async () => db.close())

  it('takes many orders from draft to closed, a batch per step, with per-order results', async () => {
    const ids = [
      await order('CASH', [{ sku: 'WIDGET', qty: '2' }, { sku: 'BOOK', qty: '1' }]),
      await order('SLOW', [{ sku: 'MILK', qty: '12' }]),
      await order('CASH', [{ sku: 'WIDGET', qty: '1' }, { sku: 'WIDGET', qty: '3' }]),
    ]
    const confirmed = await t((trx) => confirmOrders(trx, { orders: [...ids].reverse() }))
    // Locked and served in id order, whatever the order given.
    expect(confirmed.items.map((i) => i.order)).to.deep.equal(ids)
    expect(confirmed.items[1].reservations.map((r) => [r.lot, r.qty])).to.deep.equal([['L-SOON', '10'], ['L-LATE', '2']])
    expect(confirmed.items[2].reservations.map((r) => [r.line, r.qty])).to.deep.equal([[1, '1'], [2, '3']])

    const shipped = await t((trx) => fulfilOrders(trx, [{ order: ids[0], lines: [{ sku: 'WIDGET', qty: '1' }] }, { order: ids[1] }, { order: ids[2] }]))
    expect(shipped.items.map((i) => i.state)).to.deep.equal(['partially_fulfilled', 'fulfilled', 'fulfilled'])
    expect(shipped.items[1].moves.map((m) => [m.lot, m.qty]).sort()).to.deep.equal([['L-LATE', '2'], ['L-SOON', '10']])
    expect(shipped.items[2].moves.map((m) => m.qty)).to.deep.equal(['4'])

    const invoiced = await t((trx) => invoiceOrders(trx, ids.map((id) => ({ order: id }))))
    const orders = await t((trx) => orderStates(trx, ids))
    expect(invoiced.items[1].gross).to.equal(orders[1].gross)
    expect(invoiced.items[0].gross).to.equal('12.00')
    expect(orders.map((o) => o.state)).to.deep.equal(['partially_fulfilled', 'closed', 'closed'])

    const issued = await t((trx) => issueInvoices(trx, { invoices: invoiced.items.map((i) => i.invoice).reverse() }))
    const seqs = issued.items.map((i) => Number(i.number.slice(-6)))
    expect(issued.items.map((i) => i.id)).to.deep.equal(invoiced.items.map((i) => i.invoice))
    expect(seqs).to.deep.equal([seqs[0], seqs[0] + 1, seqs[0] + 2])
    const days = (i: { issueDate: string; dueDate: string }) => (Date.parse(i.dueDate) - Date.parse(i.issueDate)) / 86_400_000
    expect(issued.items.map(days)).to.deep.equal([30, 14, 30])
  })

  it('counts a batch\'s earlier orders of one customer against its credit limit', async () => {
    // TIGHT: limit 100; 5 widgets are 60.00 gross.
    const ids = [await order('TIGHT', [{ sku: 'WIDGET', qty: '5' }]), await order('TIGHT', [{ sku: 'WIDGET', qty: '5' }])]
    const err = await failure(t((trx) => confirmOrders(trx, { orders: ids })))
    expect(err.kind).to.equal('NOT_ALLOWED')
    expect(err.message).to.match(new RegExp(`^1 of 2 orders failed: SO-${ids[1]} not confirmed: credit limit 100.00 exceeded \\(open 60.00 \\+ this order 60.00\\)`))
    expect((await t((trx) => getOrder(trx, ids[0]))).state).to.equal('draft')
    const forced = await t((trx) => confirmOrders(trx, { orders: ids, override: 'one-off' }))
    expect(forced.items.map((i) => i.credit.overridden)).to.deep.equal([false, true])
    expect((await t((trx) => orderStates(trx, ids))).map((o) => o.creditOverride)).to.deep.equal([null, 'one-off'])
  })

  it('writes nothing when one order of a batch fails, and names every failing order and why', async () => {
    const good = await order('CASH', [{ sku: 'BOOK', qty: '1' }])
    const short = await order('CASH', [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '100000' }])
    const good2 = await order('SLOW', [{ sku: 'WIDGET', qty: '1' }])
    const before = await t((trx) => level(trx, 'BOOK'))
    const err = await failure(t((trx) => confirmOrders(trx, { orders: [good, short, good2, '999999'] })))
    expect(err).to.be.instanceOf(BatchError)
    expect(err.kind).to.equal('FAILED') // a shortage (conflict) and an unknown order (not found)
    expect(err.message).to.match(new RegExp(`^2 of 4 orders failed: SO-${short} not confirmed, not enough stock: line 2 WIDGET needs 100000`))
    expect(err.message).to.contain('No order SO-999999')
    const failures = (err.data as { failures: Array<{ item: string; kind: string; data: { shortages?: Array<{ line: number }> } }> }).failures
    expect(failures.map((f) => [f.item, f.kind])).to.deep.equal([[`SO-${short}`, 'CONFLICT'], ['SO-999999', 'NOT_FOUND']])
    expect(failures[0].data.shortages!.map((s) => s.line)).to.deep.equal([2])
    expect(await t((trx) => level(trx, 'BOOK'))).to.deep.equal(before)
    expect((await t((trx) => orderStates(trx, [good, good2]))).map((o) => [o.state, o.reservations.length])).to.deep.equal([['draft', 0], ['draft', 0]])

    await t((trx) => confirmOrders(trx, { orders: [good, good2] }))
    const notShipped = await failure(t((trx) => invoiceOrders(trx, [{ order: good }, { order: good2 }])))
    expect((notShipped.data as { failures: unknown[] }).failures).to.have.length(2)
    await t((trx) => fulfilOrders(trx, [{ order: good }]))
    const mixed = await failure(t((trx) => fulfilOrders(trx, [{ order: good }, { order: good2 }, { order: short }])))
    expect(mixed.message).to.match(/^2 of 3 orders failed: Cannot fulfil SO-\d+: it is fulfilled .*; Cannot fulfil SO-\d+: it is draft/)
    expect((await t((trx) => getOrder(trx, good2))).state).to.equal('confirmed')
  })

  it('never oversells when parallel batches confirm against scarce stock, and never deadlocks', async () => {
    const scarce = await salesTenant(db, { prefix: 'sobs', stock: '7' })
    const ids: string[] = []
    for (let i = 0; i < 24; i++) {
      // Lines in both product orders and customers mixed, so that careless locking would deadlock.
      const lines = i % 2 ? [{ sku: 'BOOK', qty: '1' }, { sku: 'WIDGET', qty: '1' }] : [{ sku: 'WIDGET', qty: '1' }, { sku: 'BOOK', qty: '1' }]
      ids.push(await inTenant(db, scarce, (trx) => createOrder(trx, { customer: i % 3 ? 'CASH' : 'SLOW', lines })).then((o) => o.id))
    }
    // 4 workers × 3 batches of 2 orders, interleaved so batches share customers and products.
    const batches = Array.from({ length: 12 }, (_, b) => [ids[b], ids[23 - b]])
    const results = await Promise.allSettled(Array.from({ length: 4 }, async (_, w) => {
      const outcomes: Array<'ok' | string> = []
      for (const batch of batches.filter((_, b) => b % 4 === w)) {
        try {
          await inTenant(db, scarce, (trx) => confirmOrders(trx, { orders: batch }))
          outcomes.push('ok')
        } catch (err) {
          outcomes.push((err as Error).message)
        }
      }
      return outcomes
    }))
    const outcomes = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [`worker failed: ${r.reason}`]))
    expect(outcomes.filter((o) => o === 'ok')).to.have.length(3) // 3 batches × 2 orders of 7 units
    for (const o of outcomes.filter((x) => x !== 'ok')) expect(o).to.match(/not enough stock/)
    const levels = await inTenant(db, scarce, async (trx) => [await level(trx, 'WIDGET'), await level(trx, 'BOOK')])
    expect(levels).to.deep.equal([{ on_hand: '7', reserved: '6' }, { on_hand: '7', reserved: '6' }])
    const confirmed = await inTenant(db, scarce, async (trx) => (await trx.raw(`select count(*)::int as n from orders where state = 'confirmed'`)).rows[0].n)
    expect(confirmed).to.equal(6)
  })

  it('runs whole pipelines in parallel batches whose customers come in any order, without deadlocks', async () => {
    const ids: string[] = []
    // Customers of each batch in descending id order (SLOW was created after CASH): careless locking would deadlock.
    for (let i = 0; i < 96; i++) ids.push(await order(i % 2 ? 'CASH' : 'SLOW', [{ sku: 'ODD', qty: '1' }, { sku: 'BOOK', qty: '1' }]))
    const batches = Array.from({ length: 24 }, (_, b) => ids.slice(b * 4, b * 4 + 4))
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (const batch of batches.filter((_, b) => b % 4 === w)) {
        await t((trx) => confirmOrders(trx, { orders: batch, override: 'test' }))
        await t((trx) => fulfilOrders(trx, batch.map((id) => ({ order: id }))))
        const drafts = await t((trx) => invoiceOrders(trx, batch.map((id) => ({ order: id }))))
        await t((trx) => issueInvoices(trx, { invoices: drafts.items.map((d) => d.invoice) }))
      }
    }))
    const states = await t(async (trx) => (await trx.raw('select state, count(*)::int as n from orders where id = any(?::bigint[]) group by state', [ids])).rows)
    expect(states).to.deep.equal([{ state: 'closed', n: 96 }])
  })

  it('never invoices an order twice when parallel batches overlap', async () => {
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push(await order('CASH', [{ sku: 'ODD', qty: '3' }]))
    await t((trx) => confirmOrders(trx, { orders: ids, override: 'test' }))
    await t((trx) => fulfilOrders(trx, ids.map((id) => ({ order: id }))))
    const results = await Promise.allSettled([ids.slice(0, 4), ids.slice(2, 6), ids.slice(1, 5)].map((batch) => t((trx) => invoiceOrders(trx, batch.map((id) => ({ order: id }))))))
    const invoiced = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.items.map((i) => i.order) : []))
    for (const r of results) if (r.status === 'rejected') expect(r.reason.message).to.match(/Nothing of SO-\d+ is left to invoice/)
    expect(new Set(invoiced).size).to.equal(invoiced.length)
    const counts = await t(async (trx) => (await trx.raw(
      'select order_id::text, count(*)::int as n from invoices where order_id = any(?::bigint[]) group by order_id', [ids],
    )).rows as Array<{ order_id: string; n: number }>)
    expect(counts.every((c) => c.n === 1)).to.equal(true)
    expect(counts.map((c) => c.order_id).sort()).to.deep.equal([...invoiced].sort())
  })

  it('issues 400 drafts from 4 workers in batches of 25: distinct numbers, no gap, in issue order', async () => {
    const start = await t(lastInvoiceSeq)
    const ids = await t((trx) => draftInvoices(trx, 400))
    const batches = Array.from({ length: 16 }, (_, b) => ids.filter((_, i) => i % 16 === b))
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (const batch of batches.filter((_, b) => b % 4 === w)) await t((trx) => issueInvoices(trx, { invoices: batch }))
    }))
    const issued = await t(async (trx) => (await trx.raw(
      'select id::text, seq::int, number, issued_at from invoices where id = any(?::bigint[]) order by issued_at, seq', [ids],
    )).rows as Array<{ id: string; seq: number; number: string; issued_at: Date }>)
    expect(new Set(issued.map((r) => r.number)).size).to.equal(400)
    expect(issued.map((r) => r.seq)).to.deep.equal(Array.from({ length: 400 }, (_, i) => start + i + 1))
    // Within a batch, numbers follow the invoices' ids.
    for (const batch of batches) {
      const mine = issued.filter((r) => batch.includes(r.id))
      expect(mine.map((r) => r.id)).to.deep.equal(batch)
      expect(new Set(mine.map((r) => r.issued_at.getTime())).size).to.equal(1)
    }
  })
})
