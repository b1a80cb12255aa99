import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { createOrder } from '../../src/lib/orders/orders.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { adminQuery, openTestDb } from '../helpers/database.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

/** Days relative to the server's today, as YYYY-MM-DD. */
async function day(offset: number): Promise<string> {
  const { rows: [row] } = await adminQuery(`select to_char(current_date + $1::int, 'YYYY-MM-DD') as day`, [offset])
  return row.day
}

describe('back-dated stock moves: --date on stock operations and orders fulfil (through bin/run.js)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
  const moveDays = async (reference: string) =>
    inTenant(db, slug, async (trx) => (await trx.raw(`select to_char(at, 'YYYY-MM-DD') as day from stock_moves where reference = ? order by id`, [reference])).rows.map((r: { day: string }) => r.day))

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'bdat' })
  })
  after(async () => db.close())

  it('posts a late receipt, adjustment and scrap on the day they happened, in the ledger and its listing', async () => {
    const lastWeek = await day(-7)
    ok(await erp('stock', 'receive', '--sku', 'WIDGET', '--qty', '5', '--location', 'WH1', '--reference', 'PO-LATE', '--date', lastWeek))
    ok(await erp('stock', 'adjust', '--sku', 'WIDGET', '--qty=-1', '--location', 'WH1', '--reference', 'ADJ-LATE', '--date', lastWeek))
    ok(await erp('stock', 'scrap', '--sku', 'WIDGET', '--qty', '1', '--location', 'WH1', '--reference', 'SCRAP-LATE', '--date', await day(-3)))
    expect(await moveDays('PO-LATE')).to.deep.equal([lastWeek])
    expect(await moveDays('ADJ-LATE')).to.deep.equal([lastWeek])
    expect(await moveDays('SCRAP-LATE')).to.deep.equal([await day(-3)])

    // Today is today, at the time of the entry; --since finds the late receipt by its day.
    ok(await erp('stock', 'receive', '--sku', 'BOOK', '--qty', '1', '--location', 'WH1', '--reference', 'PO-TODAY', '--date', await day(0)))
    expect(await moveDays('PO-TODAY')).to.deep.equal([await day(0)])
    const listed = ok(await erp('stock', 'moves', '--reference', 'PO-LATE', '--since', lastWeek))
    expect(listed.items ?? listed).to.have.length(1)

    // The late entry is audited with its --date, at the time it was made.
    const { rows: [audit] } = await adminQuery(
      `select args, at::date = current_date as entered_today from erp.audit_log where command = 'stock receive' and tenant = $1 order by id desc limit 1 offset 1`, [slug])
    expect(audit.args.flags.date).to.equal(lastWeek)
    expect(audit.entered_today).to.equal(true)
  })

  it('refuses a day after today or one that is not a date, and changes nothing', async () => {
    const [before] = await inTenant(db, slug, async (trx) => (await trx.raw('select count(*)::int as n from stock_moves')).rows)
    const future = failedWith(await erp('stock', 'receive', '--sku', 'WIDGET', '--qty', '5', '--location', 'WH1', '--date', await day(1)), 2, 'USAGE')
    expect(future.message).to.match(/^Not posted: \d{4}-\d{2}-\d{2} is in the future \(today is \d{4}-\d{2}-\d{2}\)$/)
    const notADay = failedWith(await erp('stock', 'transfer', '--sku', 'WIDGET', '--qty', '1', '--from', 'WH1', '--to', 'WH1/STOCK', '--date', '2026-02-30'), 2, 'USAGE')
    expect(notADay.message).to.equal('--date: "2026-02-30" is not a date (write it as YYYY-MM-DD)')
    expect(await inTenant(db, slug, async (trx) => (await trx.raw('select count(*)::int as n from stock_moves')).rows)).to.deep.equal([before])
  })

  it('ships an order on the day the goods left, never before the order was placed', async () => {
    const placed = await day(-10)
    const id = await inTenant(db, slug, (trx) => createOrder(trx, { customer: 'CASH', lines: [{ sku: 'BOOK', qty: '2' }], date: placed })).then((o) => o.id)
    ok(await erp('orders', 'confirm', id))

    const early = failedWith(await erp('orders', 'fulfil', id, '--date', await day(-11)), 65, 'INVALID_DATA')
    expect(early.message).to.equal(`Cannot ship SO-${id} on ${await day(-11)}: it was ordered on ${placed}`)
    expect(ok(await erp('orders', 'show', id)).state).to.equal('confirmed')

    const shipped = ok(await erp('orders', 'fulfil', id, '--date', await day(-8)))
    expect(shipped.order.state).to.equal('fulfilled')
    expect(await moveDays(`SO-${id}`)).to.deep.equal([await day(-8)])

    // The goods came back two days later: the return's moves are on that day, as is its credit note.
    failedWith(await erp('orders', 'return', id, '--date', await day(-12)), 65, 'INVALID_DATA')
    ok(await erp('orders', 'return', id, '--line', '1:1', '--date', await day(-6)))
    expect(await moveDays(`SO-${id}`)).to.deep.equal([await day(-8), await day(-6)])
  })
})

const ok = okResult
