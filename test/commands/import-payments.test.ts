import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { adminQuery, openTestDb } from '../helpers/database.js'
import { salesTenant } from '../lib/orders/fixtures.js'

/** erp import payments / erp export payments: by invoice number or ext:REF, all or nothing, the round trip. */
describe('erp import payments / erp export payments', function () {
  this.timeout(180_000)
  let db: Db
  let dir: string
  let n = 0
  const file = (content: string) => {
    const p = path.join(dir, `p${n++}.csv`)
    writeFileSync(p, content)
    return p
  }
  const erp = (slug: string, ...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
  const paymentCount = async (slug: string) => (await adminQuery(`select count(*)::int as n from tenant_${slug}.payments`)).rows[0].n as number

  before(async () => {
    db = await openTestDb()
    dir = mkdtempSync(path.join(tmpdir(), 'erp-import-payments-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.close()
  })

  /** A tenant with three issued invoices (orders PO-1, PO-2, PO-3, 12.00 each) and a draft one (PO-4). */
  async function invoiced(prefix: string): Promise<{ slug: string; numbers: string[]; draft: string }> {
    const slug = await salesTenant(db, { prefix })
    okResult(await erp(slug, 'import', 'orders', file([
      'external_ref,customer,date,sku,quantity,unit_price',
      ...['PO-1', 'PO-2', 'PO-3', 'PO-4'].map((ref) => `${ref},CASH,,WIDGET,1,10`),
    ].join('\n')), '--state', 'confirmed'))
    const numbers: string[] = []
    for (const ref of ['PO-1', 'PO-2', 'PO-3']) {
      okResult(await erp(slug, 'orders', 'fulfil', `ext:${ref}`))
      const draft = okResult(await erp(slug, 'invoices', 'create', '--order', `ext:${ref}`))
      numbers.push(okResult(await erp(slug, 'invoices', 'issue', draft.id)).number)
    }
    okResult(await erp(slug, 'orders', 'fulfil', 'ext:PO-4'))
    const draft = okResult(await erp(slug, 'invoices', 'create', '--order', 'ext:PO-4'))
    return { slug, numbers, draft: draft.id }
  }

  it('records payments by number and by ext:REF, adding up per invoice, and round-trips through export', async () => {
    const { slug, numbers } = await invoiced('ipay')
    const [a, b] = numbers
    const payments = file([
      'invoice,amount,method,date,reference',
      `${a},5,Bank,,TX-1`,
      `ext:PO-1,7.00,card,,`,
      `ext:PO-2,2.5,cash,,"=HYPERLINK(""x"")"`,
    ].join('\n'))
    const dry = okResult(await erp(slug, 'import', 'payments', payments, '--dry-run'))
    expect(dry).to.include({ rows: 3, inserted: 3, dryRun: true })
    expect(await paymentCount(slug)).to.equal(0)
    const done = okResult(await erp(slug, 'import', 'payments', payments))
    expect(done).to.include({ rows: 3, inserted: 3, rejected: 0 })
    expect(done.extra).to.deep.equal({ invoicesPaid: 2 })
    expect(okResult(await erp(slug, 'invoices', 'show', a))).to.include({ state: 'paid', paid: '12.00' })
    expect(okResult(await erp(slug, 'invoices', 'show', b))).to.include({ state: 'partially_paid', paid: '2.50' })

    const exported = path.join(dir, 'payments-a.csv')
    expect(okResult(await erp(slug, 'export', 'payments', '--output', exported))).to.include({ rows: 3 })
    const text = readFileSync(exported, 'utf8')
    expect(text.split('\n').slice(0, 2)).to.deep.equal(['invoice,amount,method,date,reference', `${a},5,bank,${text.split('\n')[1].split(',')[3]},TX-1`])
    expect(text).to.contain(`'=HYPERLINK(""x"")`)

    // The same invoices in another tenant: the file goes in and comes out the same.
    const other = await invoiced('ipayb')
    expect(other.numbers).to.deep.equal(numbers)
    okResult(await erp(other.slug, 'import', 'payments', exported))
    const again = path.join(dir, 'payments-b.csv')
    okResult(await erp(other.slug, 'export', 'payments', '--output', again))
    expect(readFileSync(again, 'utf8')).to.equal(text)
  })

  it('refuses over-payments, unknown, draft and paid invoices, bad amounts and dates, writing nothing', async () => {
    const { slug, numbers, draft } = await invoiced('ipbad')
    const [a, b, c] = numbers
    okResult(await erp(slug, 'invoices', 'pay', c, '--amount', '12', '--method', 'bank'))
    const errors = path.join(dir, 'rejected-payments.csv')
    const bad = await erp(slug, 'import', 'payments', file([
      'invoice,amount,method,date',
      `${a},10,bank,`,
      `${a},2.01,bank,`,
      `INV-1999-000001,1,bank,`,
      `ext:NOPE,1,bank,`,
      `ext:PO-4,1,bank,`,
      `${c},1,bank,`,
      `${b},0,bank,`,
      `${b},-3,bank,`,
      `${b},1.005,bank,`,
      `${b},1,bank,2000-01-01`,
      `${b},1,bank,2999-01-01`,
      `${b},1,"two words",`,
    ].join('\n')), '--errors', errors)
    failedWith(bad, 65, 'INVALID_DATA')
    expect(bad.json.error.data.rejected).to.equal(11)
    const lines = readFileSync(errors, 'utf8')
    expect(lines).to.contain(`over-payment: 12.00 is due on ${a}, the file pays 12.01 by this row`)
    expect(lines).to.contain('no invoice with this number')
    expect(lines).to.contain('no order with this external reference')
    expect(lines).to.contain('the invoice is a draft: issue it first')
    expect(lines).to.contain('the invoice is paid')
    expect(lines).to.contain('must be more than zero')
    expect(lines).to.contain('must be zero or more (got -3)')
    expect(lines).to.contain("more decimals than the currency's 2")
    expect(lines).to.contain('before the invoice was issued on')
    expect(lines).to.contain('in the future')
    expect(lines).to.contain('is not a payment method')
    expect(await paymentCount(slug)).to.equal(1)
    expect(okResult(await erp(slug, 'invoices', 'show', a))).to.include({ state: 'issued', paid: '0.00' })
    expect(draft).to.be.a('string')

    // A payment dated ahead (a cheque post-dated on purpose) goes in with --allow-future-date, as with invoices pay.
    const ahead = file(['invoice,amount,method,date', `${b},1,cheque,2999-01-01`].join('\n'))
    expect((await erp(slug, 'import', 'payments', ahead)).json.error.message).to.contain('--allow-future-date takes it')
    expect(okResult(await erp(slug, 'import', 'payments', ahead, '--allow-future-date'))).to.include({ inserted: 1 })
    expect(await paymentCount(slug)).to.equal(2)
  })
})
