import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { pdfText } from '../helpers/pdf.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

const ok = okResult
const failed = failedWith

describe('erp orders / erp invoices (through bin/run.js)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  let dir: string
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'ocli' })
    dir = mkdtempSync(path.join(tmpdir(), 'erp-orders-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.close()
  })

  it('runs an order from creation to a paid invoice, and renders it', async () => {
    const order = ok(await erp('orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:3', '--line', 'BOOK:2@9.00', '--line', 'MILK:1'))
    expect(order.state).to.equal('draft')
    expect(order.lines[1]).to.include({ priceSource: 'override', unitPrice: '9.0000', listUnitPrice: '9.9900' })
    expect(ok(await erp('orders', 'confirm', order.id)).order.state).to.equal('confirmed')
    const part = ok(await erp('orders', 'fulfil', order.reference, '--line', 'WIDGET:1'))
    expect(part.order.state).to.equal('partially_fulfilled')
    const rest = ok(await erp('orders', 'fulfil', order.id))
    expect(rest.order.state).to.equal('fulfilled')
    expect(rest.moves.map((m: { sku: string }) => m.sku).sort()).to.deep.equal(['BOOK', 'MILK', 'WIDGET'])

    const draft = ok(await erp('invoices', 'create', '--order', order.id))
    expect(draft).to.include({ state: 'draft', number: null, gross: order.gross })
    failed(await erp('invoices', 'create', '--order', order.id), 1, 'CONFLICT')
    failed(await erp('invoices', 'pay', draft.id, '--amount', '1', '--method', 'bank'), 1, 'CONFLICT')
    const issued = ok(await erp('invoices', 'issue', draft.id))
    expect(issued.number).to.match(/^INV-\d{4}-\d{6}$/)
    expect(ok(await erp('orders', 'show', order.id)).state).to.equal('closed')

    const over = failed(await erp('invoices', 'pay', issued.number, '--amount', '100000', '--method', 'bank'), 1, 'CONFLICT')
    expect(over.message).to.contain('Over-payment refused')
    const half = ok(await erp('invoices', 'pay', issued.number, '--amount', '10', '--method', 'bank'))
    expect(half.invoice.state).to.equal('partially_paid')
    const overdue = ok(await erp('invoices', 'list', '--overdue', '--as-of', '2099-01-01'))
    expect(overdue.items.map((i: { number: string }) => i.number)).to.include(issued.number)
    const aging = ok(await erp('invoices', 'aging', '--customer', 'CASH'))
    expect(aging.rows[0]).to.include({ customer: 'CASH', d0_30: half.invoice.due, total: half.invoice.due })

    // HTML escapes what it prints; the PDF holds the document's text.
    const html = path.join(dir, 'inv.html')
    ok(await erp('invoices', 'render', issued.number, '--format', 'html', '--out', html))
    const page = readFileSync(html, 'utf8')
    expect(page).to.contain('Cash &amp; Carry &lt;Ltd&gt;').and.not.to.contain('<Ltd>')
    expect(page).to.contain(issued.number)
    const pdf = path.join(dir, 'inv.pdf')
    const rendered = ok(await erp('invoices', 'render', issued.number, '--format', 'pdf', '--out', pdf))
    expect(readFileSync(pdf).subarray(0, 5).toString()).to.equal('%PDF-')
    expect(rendered.bytes).to.be.greaterThan(1000)
    const text = await pdfText(pdf)
    for (const expected of [`Invoice ${issued.number}`, 'Cash & Carry <Ltd>', '1 Rue de la Paix', '75002 Paris', 'Tax id: FR123', 'WIDGET', 'Widget',
      'Milk 1l', '20 %', '5.5 %', `Total EUR`, issued.gross, 'Payment terms: 30 days', `Paid 10.00 EUR`]) {
      expect(text, expected).to.contain(expected)
    }
    ok(await erp('settings', 'set', 'company.name', 'Acme Supplies SARL'))
    ok(await erp('invoices', 'render', issued.number, '--out', pdf))
    expect(await pdfText(pdf)).to.contain('Acme Supplies SARL')
    if (process.env.ERP_KEEP_PDF) writeFileSync(process.env.ERP_KEEP_PDF, readFileSync(pdf))
  })

  it('creates an order from a JSON file; refuses bad files and lines with clear errors', async () => {
    const file = path.join(dir, 'order.json')
    writeFileSync(file, JSON.stringify({ customer: 'CASH', note: 'phone order', lines: [{ sku: 'BOOK', qty: 2 }, { sku: 'WIDGET', qty: '1', unitPrice: 8.5 }] }))
    const order = ok(await erp('orders', 'create', '--file', file))
    expect(order.note).to.equal('phone order')
    expect(order.lines.map((l: { sku: string; qty: string; unitPrice: string }) => [l.sku, l.qty, l.unitPrice])).to.deep.equal([['BOOK', '2', '9.9900'], ['WIDGET', '1', '8.5000']])
    writeFileSync(file, '{"customer": 1, "lines": [{"qty": 1}]}')
    const bad = failed(await erp('orders', 'create', '--file', file), 65, 'INVALID_DATA')
    expect(bad.data.problems).to.have.length(2)
    failed(await erp('orders', 'create', '--file', path.join(dir, 'missing.json')), 66, 'FILE_NOT_FOUND')
    failed(await erp('orders', 'create', '--customer', 'CASH', '--line', 'WIDGET'), 2, 'USAGE')
    const unknown = failed(await erp('orders', 'create', '--customer', 'GHOST', '--line', 'NOPE:1', '--line', 'WIDGET:1'), 65, 'INVALID_DATA')
    expect(unknown.message).to.contain('no product "NOPE"').and.to.contain('no customer "GHOST"')
    failed(await erp('orders', 'show', '999999'), 1, 'NOT_FOUND')
    failed(await erp('orders', 'show', 'SO-x'), 2, 'USAGE')
  })

  it('refuses transitions through the CLI with their exit codes, and changes nothing then', async () => {
    const order = ok(await erp('orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1'))
    failed(await erp('orders', 'cancel', order.id), 2, 'USAGE')
    const cancelled = ok(await erp('orders', 'cancel', order.id, '--yes'))
    expect(cancelled.order.state).to.equal('cancelled')
    const err = failed(await erp('orders', 'confirm', order.id), 1, 'CONFLICT')
    expect(err.message).to.contain('it is cancelled')
    const short = ok(await erp('orders', 'create', '--customer', 'CASH', '--line', 'BOOK:1', '--line', 'WIDGET:999999'))
    const shortage = failed(await erp('orders', 'confirm', short.id), 1, 'CONFLICT')
    expect(shortage.data.shortages.map((s: { line: number; sku: string }) => [s.line, s.sku])).to.deep.equal([[2, 'WIDGET']])
    expect(ok(await erp('orders', 'show', short.id)).reservations).to.deep.equal([])

    const tight = ok(await erp('orders', 'create', '--customer', 'TIGHT', '--line', 'WIDGET:20'))
    failed(await erp('orders', 'confirm', tight.id), 77, 'NOT_ALLOWED')
    const forced = await erp('orders', 'confirm', tight.id, '--override', 'agreed with sales')
    expect(ok(forced).credit.overridden).to.equal(true)
    expect(forced.json.warnings[0]).to.contain('Credit check overridden')
    const audit = await inTenant(db, slug, async () => (await db.knex.raw(
      `select args from erp.audit_log where command = 'orders confirm' and outcome = 'ok' order by id desc limit 1`,
    )).rows[0])
    expect(JSON.stringify(audit.args)).to.contain('agreed with sales')

    const inv = ok(await erp('invoices', 'create', '--customer', 'CASH', '--line', 'BOOK:1'))
    ok(await erp('invoices', 'issue', inv.id))
    const voided = ok(await erp('invoices', 'void', inv.id, '--yes'))
    expect(voided.creditNote.number).to.match(/^CN-/)
    failed(await erp('invoices', 'void', inv.id, '--yes'), 1, 'CONFLICT')
    failed(await erp('invoices', 'pay', inv.id, '--amount', 'x', '--method', 'bank'), 65, 'INVALID_DATA')
    failed(await erp('invoices', 'issue', 'INV-0000-999999'), 1, 'NOT_FOUND')
  })

  it('takes goods back and credits them; lists orders with filters, paged', async () => {
    const order = ok(await erp('orders', 'create', '--customer', 'SLOW', '--line', 'WIDGET:2'))
    ok(await erp('orders', 'confirm', order.id))
    ok(await erp('orders', 'fulfil', order.id))
    ok(await erp('invoices', 'issue', ok(await erp('invoices', 'create', '--order', order.id)).id))
    const back = ok(await erp('orders', 'return', order.id, '--line', 'WIDGET:1'))
    expect(back.moves[0]).to.include({ from: 'customer', to: 'WH1/STOCK', qty: '1' })
    expect(back.creditNote).to.include({ kind: 'credit_note', reason: 'return', gross: '12.00' })
    const listed = ok(await erp('orders', 'list', '--customer', 'SLOW', '--state', 'closed'))
    expect(listed.items.map((o: { id: string }) => o.id)).to.deep.equal([order.id])
    const page = ok(await erp('orders', 'list', '--limit', '1'))
    expect(page.items).to.have.length(1)
    expect(page.nextCursor).to.equal(page.items[0].id)
    failed(await erp('orders', 'list', '--state', 'lost'), 2, 'USAGE')
    const credits = ok(await erp('invoices', 'list', '--kind', 'credit_note', '--order', order.id))
    expect(credits.items).to.have.length(1)
  })
})
