import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

/**
 * Receivables as of a day are what stood on that day: invoices issued by then, payments dated by
 * then (the payment date, not when it was typed in), voids by a credit note issued by then. And a
 * payment cannot be dated before its invoice, nor (unless asked) in the future.
 */
describe('erp invoices: as of a date, by payment date (through bin/run.js)', function () {
  this.timeout(180_000)
  let db: Db
  let slug: string
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])

  /** An invoice of one WIDGET (12.00 gross) to `customer`, issued on `date`; its number. */
  const issued = async (customer: string, date: string): Promise<string> => {
    const draft = okResult(await erp('invoices', 'create', '--customer', customer, '--line', 'WIDGET:1'))
    return okResult(await erp('invoices', 'issue', draft.id, '--date', date)).number
  }
  const pay = async (invoice: string, amount: string, date: string) =>
    okResult(await erp('invoices', 'pay', invoice, '--amount', amount, '--method', 'bank', '--date', date))
  const aging = async (asOf: string) =>
    okResult(await erp('invoices', 'aging', '--as-of', asOf)).rows
  const overdue = async (asOf: string) =>
    okResult(await erp('invoices', 'list', '--overdue', '--as-of', asOf)).items.map((i: Record<string, unknown>) =>
      [i.customer, i.state, i.paid, i.due, i.daysOverdue])

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'asof' })
    await inTenant(db, slug, (trx) => trx.raw(`
      insert into customers (code, name, payment_terms_days) values
        ('LATE', 'Pays late', 30), ('HALF', 'Pays in two', 30), ('GONE', 'Voided later', 30)`))
    // All three issued 1996-07-12, due 1996-08-11.
    const late = await issued('LATE', '1996-07-12')
    await pay(late, '12.00', '1996-09-10')
    const half = await issued('HALF', '1996-07-12')
    await pay(half, '6.00', '1996-08-20')
    await pay(half, '6.00', '1996-09-10')
    const gone = await issued('GONE', '1996-07-12')
    okResult(await erp('invoices', 'void', gone, '--date', '1996-09-05', '--yes'))
  })
  after(async () => db.close())

  it('ages what was due on the day: payments dated later count as not yet made', async () => {
    const row = (customer: string, d31_60: string) => ({
      customer, name: undefined, currency: 'EUR', d0_30: '0.00', d31_60, d61_90: '0.00', d90_plus: '0.00', credits: '0.00', total: d31_60,
    })
    const before = await aging('1996-09-01')
    expect(before.map((r: Record<string, unknown>) => ({ ...r, name: undefined }))).to.deep.equal([
      row('GONE', '12.00'), row('HALF', '6.00'), row('LATE', '12.00'),
    ])
    // The day of the last payments: those count (on or before), and the void credit note was issued.
    expect(await aging('1996-09-10')).to.deep.equal([])
    // Before any invoice was issued there was nothing to age.
    expect(await aging('1996-07-11')).to.deep.equal([])
  })

  it('lists what was overdue on the day, as it stood then', async () => {
    expect(await overdue('1996-09-01')).to.deep.equal([
      ['GONE', 'issued', '0.00', '12.00', 21],
      ['HALF', 'partially_paid', '6.00', '6.00', 21],
      ['LATE', 'issued', '0.00', '12.00', 21],
    ])
    // --state means the state on that day too.
    const partly = okResult(await erp('invoices', 'list', '--overdue', '--as-of', '1996-09-01', '--state', 'partially_paid')).items
    expect(partly.map((i: { customer: string }) => i.customer)).to.deep.equal(['HALF'])
    // Due 1996-08-11: not overdue on that day itself.
    expect(await overdue('1996-08-11')).to.deep.equal([])
    expect(await overdue('1996-09-10')).to.deep.equal([])
  })

  it('refuses a payment dated before its invoice was issued, and names the first possible day', async () => {
    const inv = await issued('LATE', '1996-07-12')
    const err = failedWith(await erp('invoices', 'pay', inv, '--amount', '1', '--method', 'bank', '--date', '1996-07-01'), 65, 'INVALID_DATA')
    expect(err.message).to.match(/1996-07-01 is before .* was issued on 1996-07-12/)
    expect(err.actions.join(' ')).to.contain('--date 1996-07-12')
    // The issue day itself is fine, and nothing was recorded by the refusal.
    const paid = await pay(inv, '1.00', '1996-07-12')
    expect(paid.invoice.payments.map((p: { paidOn: string }) => p.paidOn)).to.deep.equal(['1996-07-12'])
  })

  it('refuses a payment dated in the future unless --allow-future-date says it is meant', async () => {
    const inv = await issued('LATE', '1996-07-12')
    const args = ['invoices', 'pay', inv, '--amount', '1', '--method', 'bank', '--date', '2999-01-01']
    const err = failedWith(await erp(...args), 2, 'USAGE')
    expect(err.message).to.match(/2999-01-01 is in the future/)
    expect(err.actions.join(' ')).to.contain('--allow-future-date')
    expect(okResult(await erp(...args, '--allow-future-date')).payment.paidOn).to.equal('2999-01-01')
    // A payment not made yet is not counted as of today either.
    const today = okResult(await erp('invoices', 'list', '--overdue')).items.find((i: { number: string }) => i.number === inv)
    expect([today.state, today.paid, today.due]).to.deep.equal(['issued', '0.00', '12.00'])
  })
})
