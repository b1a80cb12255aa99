import { invalidData } from '../errors.js'
import type { InvoiceDocument } from './document.js'
import { documentView, type ColumnKey, type PartyView } from './document-view.js'

/** Width of each column in points (A4 less margins is 495); the description takes what the shown ones leave. */
const WIDTHS: Record<Exclude<ColumnKey, 'description'>, number> = {
  line: 18, sku: 56, qty: 32, unitPrice: 52, discount: 64, taxRate: 32, net: 54, tax: 46, gross: 56,
}

/** The document's view (document-view.ts) as a PDF: A4, the PDF standard Helvetica, through pdfkit. */
export async function renderPdf(doc: InvoiceDocument): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit')
  const view = documentView(doc)
  const inv = doc.invoice
  const pdf = new PDFDocument({ size: 'A4', margin: 50, info: { Title: view.title, Author: doc.seller.name, Subject: inv.customerName } })
  const chunks: Buffer[] = []
  pdf.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)))
    pdf.on('error', reject)
  })
  const left = pdf.page.margins.left
  const width = pdf.page.width - left - pdf.page.margins.right

  if (doc.logo) {
    try {
      pdf.image(doc.logo.bytes, left + width - 150, 40, { fit: [150, 55], align: 'right' })
    } catch (err) {
      throw invalidData(`The logo cannot be drawn: ${(err as Error).message}`, { actions: ['Give another PNG or JPEG file'] })
    }
  }
  pdf.font('Helvetica-Bold').fontSize(18).text(view.title, left, 50, { width: width - (doc.logo ? 160 : 0) })
  pdf.font('Helvetica').fontSize(9).fillColor('#555').text(view.meta.join('  ·  '))
  pdf.fillColor('#000')
  const top = Math.max(pdf.y + 15, doc.logo ? 105 : 0)
  const party = (x: number, p: PartyView) => {
    const w = width / 2 - 10
    pdf.font('Helvetica-Bold').fontSize(8).fillColor('#666').text(p.heading.toUpperCase(), x, top, { width: w })
    pdf.fillColor('#000').font('Helvetica-Bold').fontSize(10).text(p.name, { width: w })
    pdf.font('Helvetica').fontSize(9)
    for (const line of p.lines) pdf.text(line, { width: w })
    return pdf.y
  }
  const bottom = Math.max(party(left, view.seller), party(left + width / 2, view.buyer))

  const fixed = view.columns.filter((c) => c.key !== 'description').reduce((a, c) => a + WIDTHS[c.key as Exclude<ColumnKey, 'description'>], 0)
  const cols = view.columns.map((c) => ({ ...c, w: c.key === 'description' ? width - fixed : WIDTHS[c.key as Exclude<ColumnKey, 'description'>] }))
  let y = bottom + 25
  const row = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5)
    const h = Math.max(...cells.map((c, i) => pdf.heightOfString(c, { width: cols[i].w - 4 }))) + 6
    if (y + h > pdf.page.height - pdf.page.margins.bottom - 60) {
      pdf.addPage()
      y = pdf.page.margins.top
    }
    let x = left
    cells.forEach((c, i) => {
      pdf.text(c, x + 2, y + 3, { width: cols[i].w - 4, align: cols[i].numeric ? 'right' : 'left' })
      x += cols[i].w
    })
    y += h
    pdf.moveTo(left, y).lineTo(left + width, y).lineWidth(0.5).strokeColor('#ccc').stroke()
  }
  pdf.rect(left, y, width, 16).fill('#f0f0f0').fillColor('#000')
  row(cols.map((c) => c.title), true)
  for (const r of view.rows) row(cols.map((c) => r[c.key]))

  // Taxes per rate and the total, right-aligned.
  y += 15
  const widths = view.taxes.length ? [80, 60, 60, 60] : [140, 120]
  const tx = left + width - widths.reduce((a, w) => a + w, 0)
  const totalsRow = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9)
    let x = tx
    cells.forEach((c, i) => {
      pdf.text(c, x, y, { width: widths[i], align: i === 0 ? 'left' : 'right' })
      x += widths[i]
    })
    y += 14
  }
  if (view.taxes.length) {
    totalsRow(['Tax rate', 'Net', 'Tax', 'Gross'], true)
    for (const t of view.taxes) totalsRow([t.rate, t.net, t.tax, t.gross])
  }
  pdf.moveTo(tx, y).lineTo(left + width, y).lineWidth(1).strokeColor('#000').stroke()
  y += 4
  totalsRow(view.taxes.length ? [view.total.label, view.total.net, view.total.tax, view.total.gross] : [view.total.label, view.total.gross], true)

  y += 15
  pdf.font('Helvetica').fontSize(9)
  for (const note of view.notes) {
    pdf.text(note, left, y, { width })
    y = pdf.y + 4
  }
  pdf.end()
  return done
}
