import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { createDiscount } from '../../src/lib/pricing/discounts.js'
import { setPrice } from '../../src/lib/pricing/prices.js'
import { receiveStock } from '../../src/lib/stock/operations.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { pdfText } from '../helpers/pdf.js'
import { inTenant, salesTenant } from '../lib/orders/fixtures.js'

const ok = okResult
/** A 2×2 PNG, enough for pdfkit to embed. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8AARAxg8j8AG/ID/fPnS7EAAAAASUVORK5CYII=', 'base64')

/** What a person reads on an HTML page: the text of its cells and paragraphs. */
const htmlText = (page: string) => page.replace(/<style[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ')
  .replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ')

describe('erp invoices render: a document a customer can receive (through bin/run.js)', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string
  const dir = mkdtempSync(path.join(tmpdir(), 'erp-invoice-doc-'))
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])

  /** An order of these lines, confirmed, shipped, invoiced and issued: its invoice number. */
  async function issuedInvoice(lines: string[]): Promise<string> {
    const order = ok(await erp('orders', 'create', '--customer', 'CASH', ...lines.flatMap((l) => ['--line', l])))
    ok(await erp('orders', 'confirm', order.id))
    ok(await erp('orders', 'fulfil', order.id))
    const draft = ok(await erp('invoices', 'create', '--order', order.id))
    return ok(await erp('invoices', 'issue', draft.id)).number
  }

  async function rendered(number: string, ...flags: string[]): Promise<{ pdf: string; html: string }> {
    const pdf = path.join(dir, `${number}.pdf`)
    const html = path.join(dir, `${number}.html`)
    ok(await erp('invoices', 'render', number, '--out', pdf, ...flags))
    ok(await erp('invoices', 'render', number, '--format', 'html', '--out', html, ...flags))
    return { pdf: await pdfText(pdf), html: htmlText(readFileSync(html, 'utf8')) }
  }

  before(async () => {
    db = await openTestDb()
    slug = await salesTenant(db, { prefix: 'idoc' })
    await inTenant(db, slug, async (trx) => {
      await createDiscount(trx, { code: 'BOOK10', kind: 'percent', value: '10', sku: 'BOOK' })
      await trx.raw("insert into products (sku, name, tax_class) values ('VOUCHER', 'Gift voucher', 'zero')")
      await setPrice(trx, { priceList: 'RETAIL', sku: 'VOUCHER', price: '7.7' })
      await receiveStock(trx, { sku: 'VOUCHER', qty: '50', location: 'WH1' })
    })
    for (const [key, value] of [
      ['company.name', 'Acme Supplies SARL'], ['company.address', '3 Quai Voltaire|75007 Paris'], ['company.country', 'FR'],
      ['company.bank_details', 'BNP Paribas|IBAN FR76 3000 4000 0312 3456 7890 143|BIC BNPAFRPP'], ['invoices.payment_reference', '{number}/{customer}'],
    ]) ok(await erp('settings', 'set', key, value))
  })
  after(async () => db.close())

  it('shows the discount column, prices at the currency scale, countries by name, where to pay and what to quote, in PDF and HTML alike', async () => {
    const number = await issuedInvoice(['BOOK:2', 'WIDGET:1'])
    const { pdf, html } = await rendered(number)
    const expected = [
      `Invoice ${number}`, 'Acme Supplies SARL', '3 Quai Voltaire', 'France', 'Cash & Carry <Ltd>', '75002 Paris',
      'Discount', '-2.00', '9.99', '10.00', 'Tax %', '5.5 %', '20 %',
      `Please quote ${number}/CASH with your payment.`, 'Pay to: BNP Paribas · IBAN FR76 3000 4000 0312 3456 7890 143 · BIC BNPAFRPP',
    ]
    for (const text of expected) {
      expect(pdf, `PDF: ${text}`).to.contain(text)
      expect(html, `HTML: ${text}`).to.contain(text)
    }
    // Unit prices at the currency's scale, not as stored.
    for (const text of [pdf, html]) expect(text).not.to.match(/9\.9900|10\.0000/)
    // The buyer's country by name; the ISO code is not printed alone.
    expect(html).not.to.match(/ FR /)
  })

  it('keeps a line\'s own discount percent from the order (--line and an order file) through to the PDF and HTML', async () => {
    // BOOK has an automatic 10 % (BOOK10): the line's own 25 % replaces it; WIDGET gets 5 % from the order file.
    const order = ok(await erp('orders', 'create', '--customer', 'CASH', '--line', 'BOOK:2%25', '--line', 'WIDGET:1@10.00%0'))
    expect(order.lines.map((l: { sku: string; discount: string; discountPercent: string | null }) => [l.sku, l.discount, l.discountPercent]))
      .to.deep.equal([['BOOK', '5.00', '25'], ['WIDGET', '0.00', '0']])
    const file = path.join(dir, 'order.json')
    writeFileSync(file, JSON.stringify({ customer: 'CASH', lines: [{ sku: 'WIDGET', qty: 2, discountPercent: 5 }] }))
    const fromFile = ok(await erp('orders', 'create', '--file', file))
    expect(fromFile.lines[0]).to.include({ discount: '1.00', discountPercent: '5', net: '19.00' })
    failedWith(await erp('orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1%101'), 65, 'INVALID_DATA')
    failedWith(await erp('orders', 'create', '--customer', 'CASH', '--line', 'WIDGET:1%'), 2, 'USAGE')

    ok(await erp('orders', 'confirm', order.id))
    ok(await erp('orders', 'fulfil', order.id))
    const draft = ok(await erp('invoices', 'create', '--order', order.id))
    const number = ok(await erp('invoices', 'issue', draft.id)).number
    const { pdf, html } = await rendered(number)
    for (const text of [pdf, html]) expect(text).to.contain('-5.00 (25 %)').and.to.contain('Discount')
  })

  it('leaves out the Discount column when nothing is discounted and the tax columns when every rate is zero', async () => {
    const number = await issuedInvoice(['VOUCHER:3'])
    const { pdf, html } = await rendered(number)
    for (const text of [pdf, html]) {
      expect(text).to.contain('7.70').and.to.contain('23.10').and.to.contain('Total EUR')
      expect(text).not.to.contain('7.7000')
      expect(text).not.to.contain('Discount')
      expect(text).not.to.contain('Tax %')
      expect(text).not.to.contain('Tax rate')
    }
  })

  it('prints a logo given with --logo, and refuses a file that is not an image', async () => {
    const number = await issuedInvoice(['WIDGET:1'])
    const logo = path.join(dir, 'logo.png')
    writeFileSync(logo, PNG)
    const html = path.join(dir, 'logo.html')
    ok(await erp('invoices', 'render', number, '--format', 'html', '--out', html, '--logo', logo))
    expect(readFileSync(html, 'utf8')).to.contain(`src="data:image/png;base64,${PNG.toString('base64')}"`)
    const pdf = path.join(dir, 'logo.pdf')
    const withLogo = ok(await erp('invoices', 'render', number, '--out', pdf, '--logo', logo))
    expect(readFileSync(pdf, 'latin1')).to.match(/\/Subtype \/Image/)
    expect(withLogo.bytes).to.be.greaterThan(0)

    const notAnImage = path.join(dir, 'logo.txt')
    writeFileSync(notAnImage, '<svg onload="alert(1)"></svg>')
    const refused = failedWith(await erp('invoices', 'render', number, '--out', path.join(dir, 'never.pdf'), '--logo', notAnImage), 65, 'INVALID_DATA')
    expect(refused.message).to.contain('is not a PNG or JPEG image')
    failedWith(await erp('invoices', 'render', number, '--logo', path.join(dir, 'missing.png')), 65, 'INVALID_DATA')
  })

  it('refuses a payment reference with an unknown token', async () => {
    const refused = failedWith(await erp('settings', 'set', 'invoices.payment_reference', '{number}-{iban}'), 65, 'INVALID_DATA')
    expect(refused.message).to.contain('only {number} and {customer} are allowed')
    expect(await runCli(['settings', 'get', 'invoices.payment_reference', '--tenant', slug])).to.have.property('stdout').that.contains('{number}/{customer}')
  })
})
