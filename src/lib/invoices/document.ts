import { writeFile } from 'node:fs/promises'

import type { Knex } from 'knex'

import { currentIo } from '../io.js'
import { settingValue } from '../settings/settings.js'
import { queryRows } from '../db/query-rows.js'
import { getInvoice, type InvoiceDetail } from './invoice.js'

/**
 * What an invoice document shows: seller and buyer, lines, taxes per rate, totals and payment
 * terms. Read in the tenant's transaction; rendering (HTML, PDF) never reaches the database.
 */

export interface Party {
  name: string
  code?: string
  taxId: string | null
  address: string[]
}

export interface InvoiceDocument {
  invoice: InvoiceDetail
  title: string
  seller: Party
  buyer: Party
}

export async function invoiceDocument(trx: Knex.Transaction, ref: string | number, sellerName: string): Promise<InvoiceDocument> {
  const invoice = await getInvoice(trx, ref)
  // One after another: a transaction is one connection, and pg queues (and deprecates) a query
  // issued while another is still running on it.
  const name = await settingValue<string>(trx, 'company.name')
  const address = await settingValue<string>(trx, 'company.address')
  const taxId = await settingValue<string>(trx, 'company.tax_id')
  const [buyer] = await queryRows<{ name: string; code: string; tax_id: string | null; address: string[] | null }>(
    trx,
    `select c.name, c.code, c.tax_id,
            (select array_remove(array[a.line1, a.line2, concat_ws(' ', a.postal_code, a.city), a.region, a.country], null)
               from customer_addresses a where a.customer_id = c.id and a.kind = 'billing'
              order by a.is_default desc, a.id limit 1) as address
       from customers c where c.code = ?`,
    [invoice.customer],
  )
  const kind = invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'
  return {
    invoice,
    title: invoice.number ? `${kind} ${invoice.number}` : `Draft ${kind.toLowerCase()} (not issued)`,
    seller: { name: name || sellerName, taxId: taxId || null, address: address ? address.split('|').map((s) => s.trim()).filter(Boolean) : [] },
    buyer: { name: buyer.name, code: buyer.code, taxId: buyer.tax_id, address: (buyer.address ?? []).filter((s) => s !== '') },
  }
}

const escapeHtml = (text: string | number | null | undefined): string =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function termsText(doc: InvoiceDocument): string[] {
  const inv = doc.invoice
  const out: string[] = []
  if (inv.kind === 'credit_note') {
    out.push(inv.credits ? `Cancels invoice ${inv.credits}.` : 'Credit for goods returned.')
    return out
  }
  out.push(`Payment terms: ${inv.paymentTermsDays} days${inv.dueDate ? `, due ${inv.dueDate}` : ''}.`)
  if (inv.state === 'paid') out.push('Paid in full. Thank you.')
  else if (inv.state === 'partially_paid') out.push(`Paid ${inv.paid} ${inv.currency}; due ${inv.due} ${inv.currency}.`)
  else if (inv.state === 'void') out.push('VOID: cancelled by a credit note.')
  return out
}

/** A self-contained HTML page; every value from the database is escaped. */
export function renderHtml(doc: InvoiceDocument): string {
  const inv = doc.invoice
  const party = (title: string, p: Party) => `
      <div class="party"><h2>${title}</h2><strong>${escapeHtml(p.name)}</strong>${p.code ? ` <span class="muted">(${escapeHtml(p.code)})</span>` : ''}
        ${p.address.map((l) => `<div>${escapeHtml(l)}</div>`).join('')}
        ${p.taxId ? `<div>Tax id: ${escapeHtml(p.taxId)}</div>` : ''}</div>`
  const rows = inv.lines.map((l) => `
        <tr><td>${l.line}</td><td>${escapeHtml(l.sku)}</td><td>${escapeHtml(l.description)}</td><td class="n">${escapeHtml(l.qty)}</td>
          <td class="n">${escapeHtml(l.unitPrice)}</td><td class="n">${escapeHtml(l.discount)}</td><td class="n">${escapeHtml(l.taxRate)} %</td>
          <td class="n">${escapeHtml(l.net)}</td><td class="n">${escapeHtml(l.tax)}</td><td class="n">${escapeHtml(l.gross)}</td></tr>`).join('')
  const taxes = inv.taxes.map((t) => `
        <tr><td>${escapeHtml(t.rate)} %</td><td class="n">${escapeHtml(t.net)}</td><td class="n">${escapeHtml(t.tax)}</td><td class="n">${escapeHtml(t.gross)}</td></tr>`).join('')
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(doc.title)}</title>
  <style>
    body { font-family: Helvetica, Arial, sans-serif; font-size: 13px; color: #222; margin: 2em; }
    h1 { font-size: 22px; margin: 0 0 .3em; } h2 { font-size: 12px; text-transform: uppercase; color: #666; margin: 0 0 .3em; }
    .parties { display: flex; gap: 4em; margin: 1.5em 0; } .muted { color: #777; }
    table { border-collapse: collapse; width: 100%; margin: 1em 0; } th, td { padding: 4px 6px; border-bottom: 1px solid #ddd; text-align: left; }
    th { background: #f3f3f3; } .n { text-align: right; white-space: nowrap; }
    .totals { width: auto; margin-left: auto; } .totals td { border: none; } .grand td { font-weight: bold; border-top: 2px solid #222; }
  </style>
</head>
<body>
  <h1>${escapeHtml(doc.title)}</h1>
  <div class="muted">${inv.issueDate ? `Date ${escapeHtml(inv.issueDate)}` : 'Not issued'}${inv.order ? ` · Order ${escapeHtml(inv.order)}` : ''} · ${escapeHtml(inv.currency)}${inv.taxInclusive ? ' · prices include tax' : ''}</div>
  <div class="parties">${party('Seller', doc.seller)}${party('Bill to', doc.buyer)}</div>
  <table>
    <thead><tr><th>#</th><th>SKU</th><th>Description</th><th class="n">Qty</th><th class="n">Unit price</th><th class="n">Discount</th><th class="n">Tax</th><th class="n">Net</th><th class="n">Tax amount</th><th class="n">Total</th></tr></thead>
    <tbody>${rows}
    </tbody>
  </table>
  <table class="totals">
    <thead><tr><th>Tax rate</th><th class="n">Net</th><th class="n">Tax</th><th class="n">Gross</th></tr></thead>
    <tbody>${taxes}
      <tr class="grand"><td>Total ${escapeHtml(inv.currency)}</td><td class="n">${escapeHtml(inv.net)}</td><td class="n">${escapeHtml(inv.tax)}</td><td class="n">${escapeHtml(inv.gross)}</td></tr>
    </tbody>
  </table>
  ${termsText(doc).map((t) => `<p>${escapeHtml(t)}</p>`).join('\n  ')}
</body>
</html>
`
}

/** The same document as a PDF (A4, the PDF standard Helvetica), through pdfkit. */
export async function renderPdf(doc: InvoiceDocument): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit')
  const inv = doc.invoice
  const pdf = new PDFDocument({ size: 'A4', margin: 50, info: { Title: doc.title, Author: doc.seller.name, Subject: inv.customerName } })
  const chunks: Buffer[] = []
  pdf.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)))
    pdf.on('error', reject)
  })
  const left = pdf.page.margins.left
  const width = pdf.page.width - left - pdf.page.margins.right

  pdf.font('Helvetica-Bold').fontSize(18).text(doc.title, left, 50)
  pdf.font('Helvetica').fontSize(9).fillColor('#555')
    .text(`${inv.issueDate ? `Date ${inv.issueDate}` : 'Not issued'}${inv.order ? `  ·  Order ${inv.order}` : ''}  ·  ${inv.currency}${inv.taxInclusive ? '  ·  prices include tax' : ''}`)
  pdf.fillColor('#000')
  const top = pdf.y + 15
  const party = (x: number, title: string, p: Party) => {
    pdf.font('Helvetica-Bold').fontSize(8).fillColor('#666').text(title.toUpperCase(), x, top, { width: width / 2 - 10 })
    pdf.fillColor('#000').font('Helvetica-Bold').fontSize(10).text(p.name + (p.code ? ` (${p.code})` : ''), { width: width / 2 - 10 })
    pdf.font('Helvetica').fontSize(9)
    for (const line of p.address) pdf.text(line, { width: width / 2 - 10 })
    if (p.taxId) pdf.text(`Tax id: ${p.taxId}`, { width: width / 2 - 10 })
    return pdf.y
  }
  const bottom = Math.max(party(left, 'Seller', doc.seller), party(left + width / 2, 'Bill to', doc.buyer))

  // Lines table.
  const cols = [
    { title: '#', w: 18, align: 'left' as const },
    { title: 'SKU', w: 60, align: 'left' as const },
    { title: 'Description', w: 115, align: 'left' as const },
    { title: 'Qty', w: 40, align: 'right' as const },
    { title: 'Unit price', w: 55, align: 'right' as const },
    { title: 'Tax', w: 35, align: 'right' as const },
    { title: 'Net', w: 58, align: 'right' as const },
    { title: 'Tax amt', w: 50, align: 'right' as const },
    { title: 'Total', w: width - 431, align: 'right' as const },
  ]
  let y = bottom + 25
  const row = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5)
    let x = left
    const heights = cells.map((c, i) => pdf.heightOfString(c, { width: cols[i].w - 4 }))
    const h = Math.max(...heights) + 6
    if (y + h > pdf.page.height - pdf.page.margins.bottom - 60) {
      pdf.addPage()
      y = pdf.page.margins.top
    }
    cells.forEach((c, i) => {
      pdf.text(c, x + 2, y + 3, { width: cols[i].w - 4, align: cols[i].align })
      x += cols[i].w
    })
    y += h
    pdf.moveTo(left, y).lineTo(left + width, y).lineWidth(0.5).strokeColor('#ccc').stroke()
  }
  pdf.rect(left, y, width, 16).fill('#f0f0f0').fillColor('#000')
  row(cols.map((c) => c.title), true)
  for (const l of inv.lines) row([String(l.line), l.sku ?? '', l.description, l.qty, l.unitPrice, `${l.taxRate}%`, l.net, l.tax, l.gross])

  // Taxes per rate and totals, right-aligned.
  y += 15
  const tx = left + width - 260
  const totalsRow = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9)
    const widths = [80, 60, 60, 60]
    let x = tx
    cells.forEach((c, i) => {
      pdf.text(c, x, y, { width: widths[i], align: i === 0 ? 'left' : 'right' })
      x += widths[i]
    })
    y += 14
  }
  totalsRow(['Tax rate', 'Net', 'Tax', 'Gross'], true)
  for (const t of inv.taxes) totalsRow([`${t.rate} %`, t.net, t.tax, t.gross])
  pdf.moveTo(tx, y).lineTo(tx + 260, y).lineWidth(1).strokeColor('#000').stroke()
  y += 4
  totalsRow([`Total ${inv.currency}`, inv.net, inv.tax, inv.gross], true)

  y += 15
  pdf.font('Helvetica').fontSize(9)
  for (const t of termsText(doc)) {
    pdf.text(t, left, y, { width })
    y = pdf.y + 4
  }
  pdf.end()
  return done
}

export interface RenderedDocument {
  invoice: string
  number: string | null
  format: 'pdf' | 'html'
  /** The file written, or '-' for stdout. */
  path: string
  bytes: number
}

/** Render and write a document: to `out`, to stdout for '-', or to <number>.<format> in the working directory. */
export async function writeInvoiceDocument(
  trx: Knex.Transaction,
  input: { invoice: string | number; format: 'pdf' | 'html'; out?: string; sellerName: string },
): Promise<RenderedDocument> {
  const doc = await invoiceDocument(trx, input.invoice, input.sellerName)
  const body = input.format === 'pdf' ? await renderPdf(doc) : Buffer.from(renderHtml(doc), 'utf8')
  const name = (doc.invoice.number ?? `draft-${doc.invoice.id}`).replace(/[^A-Za-z0-9._-]/g, '_')
  const path = input.out ?? `${name}.${input.format}`
  if (path === '-') await new Promise<void>((resolve, reject) => currentIo().stdout.write(body, (err) => (err ? reject(err) : resolve())))
  else await writeFile(path, body)
  return { invoice: doc.invoice.id, number: doc.invoice.number, format: input.format, path, bytes: body.length }
}
