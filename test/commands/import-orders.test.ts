import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { quote } from '../../src/lib/pricing/resolve.js'
import { failedWith, okResult, runCli, spawnCli } from '../helpers/cli.js'
import { adminQuery, openTestDb } from '../helpers/database.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

/**
 * erp import orders / erp export orders, the orders' external reference (create, list, ext:REF),
 * through the command line: grouping, pricing as the resolver does, drafts and confirmed orders,
 * every bad input refused with nothing written, the round trip, and kill -9 of a real process.
 */
describe('erp import orders / erp export orders / external references', function () {
  this.timeout(180_000)
  let db: Db
  let dir: string
  let n = 0
  const file = (content: string) => {
    const p = path.join(dir, `o${n++}.csv`)
    writeFileSync(p, content)
    return p
  }
  const erp = (slug: string, ...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
  const imp = (slug: string, ...args: string[]) => erp(slug, 'import', 'orders', ...args)
  const count = async (slug: string, table: string) =>
    (await adminQuery(`select count(*)::int as n from tenant_${slug}.${table}`)).rows[0].n as number

  before(async () => {
    db = await openTestDb()
    dir = mkdtempSync(path.join(tmpdir(), 'erp-import-orders-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.close()
  })

  const HISTORY = [
    'external_ref,customer,date,sku,quantity,unit_price,discount_percent',
    'PO-1,CASH,2026-03-01,WIDGET,3,10.00,',
    'PO-1,CASH,2026-03-01,BOOK,2,9.99,12.5',
    'PO-2,SLOW,2026-03-02,ODD,7,0.3333,10',
    'PO-1,CASH,2026-03-01,WIDGET,1,9.50,100',
    '"PO 3, rush",CASH,2026-03-03,MILK,4,1.20,0',
  ].join('\n')

  it('groups rows into orders by external reference, prices them as the resolver does, and keeps the reference', async () => {
    const slug = await salesTenant(db, { prefix: 'iord' })
    const dry = okResult(await imp(slug, file(HISTORY), '--dry-run'))
    expect(dry).to.include({ rows: 5, inserted: 5, dryRun: true })
    expect(dry.extra).to.deep.equal({ orders: 3 })
    expect(await count(slug, 'orders')).to.equal(0)

    const done = okResult(await imp(slug, file(HISTORY)))
    expect(done).to.include({ rows: 5, inserted: 5, updated: 0, unchanged: 0, rejected: 0 })
    expect(done.extra).to.deep.equal({ orders: 3 })

    const po1 = okResult(await erp(slug, 'orders', 'show', 'ext:PO-1'))
    expect(po1).to.include({ externalRef: 'PO-1', customer: 'CASH', state: 'draft', orderDate: '2026-03-01', currency: 'EUR', priceList: 'RETAIL' })
    expect(po1.lines.map((l: { line: number; sku: string; qty: string; discountPercent: string | null }) => [l.line, l.sku, l.qty, l.discountPercent]))
      .to.deep.equal([[1, 'WIDGET', '3', null], [2, 'BOOK', '2', '12.5'], [3, 'WIDGET', '1', '100']])
    // The same amounts the price resolver gives for the line without its discount (an override), less the discount.
    const plain = await inTenant(db, slug, (trx) => quote(trx, { customer: 'CASH', lines: [
      { sku: 'WIDGET', qty: '3', unitPriceOverride: '10' }, { sku: 'BOOK', qty: '2', unitPriceOverride: '9.99' }] }))
    expect(po1.lines[0]).to.include({ net: plain.lines[0].net, tax: plain.lines[0].tax, gross: plain.lines[0].gross, discount: '0.00', priceSource: 'override' })
    // BOOK: B = 19.98, discount round(19.98 × 12.5 %) = 2.50, 17.48 net, tax 5.5 % = 0.96.
    expect(po1.lines[1]).to.include({ discount: '2.50', net: '17.48', tax: '0.96', gross: '18.44' })
    expect(po1.lines[2]).to.include({ discount: '9.50', net: '0.00', tax: '0.00', gross: '0.00' })
    expect(po1).to.include({ net: '47.48', tax: '6.96', gross: '54.44' })
    // ODD: B = round(7 × 0.3333) = 2.33, discount 0.23, 2.10 net, tax 0.42.
    const po2 = okResult(await erp(slug, 'orders', 'show', 'ext:PO-2'))
    expect(po2.lines[0]).to.include({ discount: '0.23', net: '2.10', tax: '0.42', gross: '2.52' })

    const listed = okResult(await erp(slug, 'orders', 'list', '--external-ref', 'PO 3, rush'))
    expect(listed.items.map((o: { externalRef: string }) => o.externalRef)).to.deep.equal(['PO 3, rush'])
    expect(okResult(await erp(slug, 'orders', 'list', '--external-ref', 'PO-404')).items).to.deep.equal([])

    // ext:REF wherever an order is taken: confirm, fulfil, invoices create, cancel.
    expect(okResult(await erp(slug, 'orders', 'confirm', 'ext:PO-1')).order.state).to.equal('confirmed')
    expect(okResult(await erp(slug, 'orders', 'fulfil', 'ext:PO-1')).order.state).to.equal('fulfilled')
    expect(okResult(await erp(slug, 'invoices', 'create', '--order', 'ext:PO-1'))).to.include({ state: 'draft', gross: '54.44' })
    expect(okResult(await erp(slug, 'orders', 'cancel', 'ext:PO-2', '--yes')).order.state).to.equal('cancelled')
    const missing = failedWith(await erp(slug, 'orders', 'show', 'ext:PO-404'), 1, 'NOT_FOUND')
    expect(missing.message).to.contain('No order with external reference "PO-404"')
    // A bare reference is not an order number, and says how to name one.
    const bare = await erp(slug, 'orders', 'show', 'PO-1')
    expect(bare.code).to.equal(2)
    expect(bare.json.error.message).to.contain('ext:REF')
  })

  it('rounds as the price resolver does under rounding.mode half_even too (ties to even)', async () => {
    const slug = await salesTenant(db, { prefix: 'ieven' })
    okResult(await erp(slug, 'settings', 'set', 'rounding.mode', 'half_even'))
    // B = 2.665 → 2.66 (half_up would give 2.67); 22.5 % off 2.66 = 0.5985 → 0.60; tax 20 % of 2.06 = 0.412 → 0.41.
    okResult(await imp(slug, file('external_ref,customer,sku,quantity,unit_price,discount_percent\nE-1,CASH,WIDGET,1,2.665,\nE-1,CASH,WIDGET,1,2.665,22.5\nE-1,CASH,BOOK,2,1.3125,\n')))
    const order = okResult(await erp(slug, 'orders', 'show', 'ext:E-1'))
    const plain = await inTenant(db, slug, (trx) => quote(trx, { customer: 'CASH', lines: [
      { sku: 'WIDGET', qty: '1', unitPriceOverride: '2.665' }, { sku: 'BOOK', qty: '2', unitPriceOverride: '1.3125' }] }))
    expect(plain.rounding.mode).to.equal('half_even')
    expect(order.lines[0]).to.include({ net: plain.lines[0].net, tax: plain.lines[0].tax, gross: plain.lines[0].gross })
    expect(order.lines[0].net).to.equal('2.66')
    expect(order.lines[1]).to.include({ discount: '0.60', net: '2.06', tax: '0.41' })
    expect(order.lines[2]).to.include({ net: plain.lines[1].net, tax: plain.lines[1].tax, gross: plain.lines[1].gross })
  })

  it('orders create --external-ref: stored, unique, refused when taken', async () => {
    const slug = await salesTenant(db, { prefix: 'oext' })
    const made = okResult(await erp(slug, 'orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1', '--external-ref', 'ACME-77'))
    expect(made.externalRef).to.equal('ACME-77')
    const again = failedWith(await erp(slug, 'orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1', '--external-ref', 'ACME-77'), 1, 'CONFLICT')
    expect(again.message).to.contain(`already taken by ${made.reference}`)
    failedWith(await erp(slug, 'orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1', '--external-ref', 'bad\u0007ref'), 65, 'INVALID_DATA')
    expect(await count(slug, 'orders')).to.equal(1)
    // The import refuses the taken reference too, naming the order that has it.
    const taken = failedWith(await imp(slug, file('external_ref,customer,date,sku,quantity,unit_price\nACME-77,CASH,,WIDGET,1,10\n')), 65, 'INVALID_DATA')
    expect(taken.message).to.match(new RegExp(`:2: column "external_ref": an order with this external reference already exists \\(${made.reference}`))
    expect(await count(slug, 'orders')).to.equal(1)
  })

  it('refuses every bad input with a clear error per row and writes nothing', async () => {
    const slug = await salesTenant(db, { prefix: 'ibad' })
    okResult(await erp(slug, 'orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1', '--external-ref', 'OLD-1'))
    const errors = path.join(dir, 'rejected.csv')
    const bad = await imp(slug, file([
      'external_ref,customer,date,sku,quantity,unit_price,discount_percent',
      'A-1,CASH,2026-01-05,WIDGET,1,10,',
      'A-1,SLOW,2026-01-05,BOOK,1,10,',
      'A-1,CASH,2026-01-06,BOOK,1,10,',
      'A-2,NOBODY,2026-01-05,WIDGET,1,10,',
      'A-3,CASH,2026-01-05,NOSUCH,1,10,',
      'A-4,CASH,2026-01-05,WIDGET,-2,10,',
      'A-4,CASH,2026-01-05,WIDGET,0,10,',
      'A-5,CASH,2026-01-05,WIDGET,1,10,101',
      'A-5,CASH,2026-01-05,WIDGET,1,10,-1',
      'OLD-1,CASH,2026-01-05,WIDGET,1,10,',
      'A-6,CASH,2026-02-30,WIDGET,1,-10,',
    ].join('\n')), '--errors', errors)
    const error = failedWith(bad, 65, 'INVALID_DATA')
    expect(error.message).to.contain('nothing was imported')
    const lines = readFileSync(errors, 'utf8')
    expect(lines).to.contain('order A-1 has customer CASH on line 2: every row of an order gives the same customer')
    expect(lines).to.contain('order A-1 has date 2026-01-05 on line 2: every row of an order gives the same date')
    expect(lines).to.contain('no customer with this code')
    expect(lines).to.contain('no product with this SKU')
    expect(lines).to.contain('must be more than zero (got -2)')
    expect(lines).to.contain('must be more than zero (got 0)')
    expect(lines).to.contain('must be at most 100 (got 101)')
    expect(lines).to.contain('must be zero or more (got -1)')
    expect(lines).to.contain('an order with this external reference already exists')
    expect(lines).to.match(/not a (valid )?date/i)
    expect(bad.json.error.data.rejected).to.equal(10)
    expect(await count(slug, 'orders')).to.equal(1)
    expect(await count(slug, 'order_lines')).to.equal(1)
    // Hostile references: control characters and over-long ones are refused in the stream.
    const hostile = failedWith(await imp(slug, file(`external_ref,customer,sku,quantity,unit_price\n"X\u0001",CASH,WIDGET,1,1\n${'R'.repeat(101)},CASH,WIDGET,1,1\n`)), 65, 'INVALID_DATA')
    expect(hostile.message).to.contain('control characters').and.to.contain('at most 100 characters')
    // --skip-invalid and --mode are not offered: an order is all its lines, and only new orders come in.
    expect((await imp(slug, file(HISTORY), '--skip-invalid')).code).to.equal(2)
    expect(await count(slug, 'orders')).to.equal(1)
  })

  it('--state confirmed reserves stock as orders confirm does, all or nothing, and its dry run checks the stock', async () => {
    const slug = await salesTenant(db, { prefix: 'iconf', stock: '10' })
    const open = (qty: number) => file([
      'external_ref,customer,sku,quantity,unit_price',
      `C-1,CASH,WIDGET,6,10`,
      `C-2,SLOW,WIDGET,${qty},10`,
      `C-2,SLOW,BOOK,1,9.99`,
    ].join('\n'))
    const short = failedWith(await imp(slug, open(5), '--state', 'confirmed', '--dry-run'), 1, 'CONFLICT')
    expect(short.message).to.contain('order C-2').and.to.contain('not enough stock').and.not.to.match(/SO-\d/)
    expect(await count(slug, 'orders')).to.equal(0)
    failedWith(await imp(slug, open(5), '--state', 'confirmed'), 1, 'CONFLICT')
    expect(await count(slug, 'orders')).to.equal(0)
    expect(await count(slug, 'reservations')).to.equal(0)

    const dry = okResult(await imp(slug, open(4), '--state', 'confirmed', '--dry-run'))
    expect(dry.extra).to.deep.equal({ orders: 2, confirmed: 2 })
    expect(await count(slug, 'orders')).to.equal(0)
    expect(await count(slug, 'reservations')).to.equal(0)
    const done = okResult(await imp(slug, open(4), '--state', 'confirmed'))
    expect(done.extra).to.deep.equal({ orders: 2, confirmed: 2 })
    const c2 = okResult(await erp(slug, 'orders', 'show', 'ext:C-2'))
    expect(c2.state).to.equal('confirmed')
    expect(c2.reservations.map((r: { sku: string; qty: string }) => [r.sku, r.qty])).to.deep.equal([['BOOK', '1'], ['WIDGET', '4']])
    const [{ reserved }] = (await adminQuery(`select trim_scale(sum(reserved))::text as reserved from tenant_${slug}.stock_levels s
      join tenant_${slug}.products p on p.id = s.product_id where p.sku = 'WIDGET'`)).rows
    expect(reserved).to.equal('10')
    // The credit check holds: TIGHT's limit is 100.
    const credit = failedWith(await imp(slug, file('external_ref,customer,sku,quantity,unit_price\nT-1,TIGHT,BOOK,9,11.5\n'), '--state', 'confirmed'), 77, 'NOT_ALLOWED')
    expect(credit.message).to.contain('order T-1').and.to.contain('credit limit')
    expect(credit.data).to.include({ externalRef: 'T-1' }).and.not.to.have.property('order')
    okResult(await imp(slug, file('external_ref,customer,sku,quantity,unit_price\nT-1,TIGHT,BOOK,9,11.5\n'), '--state', 'confirmed', '--credit-override', 'migrated'))
    expect(okResult(await erp(slug, 'orders', 'show', 'ext:T-1'))).to.include({ state: 'confirmed', creditOverride: 'migrated' })
    expect((await imp(slug, file('external_ref,customer,sku,quantity,unit_price\nT-2,CASH,BOOK,1,1\n'), '--credit-override', 'x')).code).to.equal(2)
  })

  it('round-trips: export, import into another tenant, export again gives the same file', async () => {
    const a = await salesTenant(db, { prefix: 'irta' })
    okResult(await imp(a, file(HISTORY)))
    okResult(await erp(a, 'orders', 'create', '--customer', 'SLOW', '--line', 'BOOK:3', '--external-ref', '=cmd()', '--date', '2026-04-01'))
    const first = path.join(dir, 'orders-a.csv')
    expect(okResult(await erp(a, 'export', 'orders', '--output', first))).to.include({ rows: 6 })
    const text = readFileSync(first, 'utf8')
    expect(text.split('\n')[0]).to.equal('external_ref,customer,date,sku,quantity,unit_price,discount_percent')
    expect(text).to.contain(`"PO 3, rush",CASH,2026-03-03,MILK,4,1.2,0`)
    // A formula-looking reference is guarded on export and unguarded on import.
    expect(text).to.contain(`'=cmd(),SLOW,2026-04-01,BOOK,3,9.99,`)

    const b = await salesTenant(db, { prefix: 'irtb' })
    okResult(await imp(b, first))
    const second = path.join(dir, 'orders-b.csv')
    okResult(await erp(b, 'export', 'orders', '--output', second))
    expect(readFileSync(second, 'utf8')).to.equal(text)
    expect(okResult(await erp(b, 'orders', 'show', 'ext:=cmd()')).externalRef).to.equal('=cmd()')
    // Into the same tenant it is refused: the references are taken.
    failedWith(await imp(a, first), 65, 'INVALID_DATA')
  })

  it('kill -9 of a real process during a large orders import leaves the tenant unchanged', async function () {
    const slug = await salesTenant(db, { prefix: 'ikill' })
    okResult(await imp(slug, file(HISTORY)))
    const big = path.join(dir, 'big-orders.csv')
    const rows = ['external_ref,customer,date,sku,quantity,unit_price,discount_percent']
    for (let i = 0; i < 40_000; i++) {
      for (const sku of ['WIDGET', 'BOOK', 'ODD']) rows.push(`K-${i},${i % 2 ? 'CASH' : 'SLOW'},2026-05-01,${sku},${1 + (i % 5)},${(i % 90) + 0.5},${i % 20}`)
    }
    writeFileSync(big, `${rows.join('\n')}\n`)
    const child = spawnCli(['import', 'orders', big, '--tenant', slug])
    const exited = new Promise((resolve) => child.on('close', (_code, signal) => resolve(signal)))
    const busy = async () => (await adminQuery(`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and (query ilike 'copy "erp_stage_import_rows_%' or query ilike '%erp_stage_order%')`)).rows[0].n as number
    for (let i = 0; i < 600 && (await busy()) === 0; i++) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGKILL')
    // Killed, not finished: the import was still running.
    expect(await exited).to.equal('SIGKILL')
    for (let i = 0; i < 100 && (await busy()) > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await count(slug, 'orders')).to.equal(3)
    expect(await count(slug, 'order_lines')).to.equal(5)
    const staged = await adminQuery(`select count(*)::int as n from pg_class where relnamespace = $1::regnamespace and relname like 'erp\\_stage\\_%'`, [`tenant_${slug}`])
    expect(staged.rows[0].n).to.equal(0)
  })
})
