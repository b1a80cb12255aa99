import { Decimal } from '../pricing/money.js'
import type { InvoiceDocument, Party } from './document.js'

/**
 * The one layout of an invoice document, as text: which columns it shows and every value as it
 * is printed. The HTML and PDF renderers both draw this, so the two never disagree. A customer
 * reads prices at the currency's scale (7.70, not 7.7000; 0.3333 keeps its digits), no Discount
 * column where nothing was discounted, and no tax columns where every rate is zero.
 */

export type ColumnKey = 'line' | 'sku' | 'description' | 'qty' | 'unitPrice' | 'discount' | 'taxRate' | 'net' | 'tax' | 'gross'

export interface ViewColumn {
  key: ColumnKey
  title: string
  numeric: boolean
}

export interface DocumentView {
  title: string
  /** Date · Order · currency · whether prices include tax. */
  meta: string[]
  seller: PartyView
  buyer: PartyView
  columns: ViewColumn[]
  rows: Array<Record<ColumnKey, string>>
  /** Per tax rate; empty when the document carries no tax. */
  taxes: Array<{ rate: string; net: string; tax: string; gross: string }>
  total: { label: string; net: string; tax: string; gross: string }
  /** Payment terms, reference, bank details, state: one paragraph each. */
  notes: string[]
}

export interface PartyView {
  heading: string
  name: string
  lines: string[]
}

const ALL_COLUMNS: ViewColumn[] = [
  { key: 'line', title: '#', numeric: false },
  { key: 'sku', title: 'SKU', numeric: false },
  { key: 'description', title: 'Description', numeric: false },
  { key: 'qty', title: 'Qty', numeric: true },
  { key: 'unitPrice', title: 'Unit price', numeric: true },
  { key: 'discount', title: 'Discount', numeric: true },
  { key: 'taxRate', title: 'Tax %', numeric: true },
  { key: 'net', title: 'Net', numeric: true },
  { key: 'tax', title: 'Tax', numeric: true },
  { key: 'gross', title: 'Total', numeric: true },
]

/** A unit price at the currency's scale, keeping any further digits it really has (4 at most). */
export function displayPrice(price: string, scale: number): string {
  const value = new Decimal(price)
  return value.toFixed(Math.max(scale, Math.min(value.decimalPlaces(), 4)))
}

const isZero = (text: string) => new Decimal(text).isZero()

/** A line's discount as the customer reads it: the amount off, and the agreed percent when there was one. */
function discountText(amount: string, percent: string | null): string {
  if (isZero(amount)) return ''
  return percent ? `-${amount} (${percent} %)` : `-${amount}`
}

export function documentView(doc: InvoiceDocument): DocumentView {
  const inv = doc.invoice
  // Amounts come rounded to the invoice's own scale (round(gross, scale)): their digits are it.
  const scale = (inv.gross.split('.')[1] ?? '').length
  const discounted = inv.lines.some((l) => !isZero(l.discount))
  const taxed = inv.lines.some((l) => !isZero(l.taxRate) || !isZero(l.tax))
  const hidden = new Set<ColumnKey>([...(discounted ? [] : ['discount' as const]), ...(taxed ? [] : ['taxRate' as const, 'tax' as const])])
  return {
    title: doc.title,
    meta: [
      inv.issueDate ? `Date ${inv.issueDate}` : 'Not issued',
      ...(inv.dueDate && inv.kind === 'invoice' ? [`Due ${inv.dueDate}`] : []),
      ...(inv.order ? [`Order ${inv.order}`] : []),
      inv.currency,
      ...(inv.taxInclusive && taxed ? ['prices include tax'] : []),
    ],
    seller: party('Seller', doc.seller),
    buyer: party('Bill to', doc.buyer),
    columns: ALL_COLUMNS.filter((c) => !hidden.has(c.key)),
    rows: inv.lines.map((l) => ({
      line: String(l.line), sku: l.sku ?? '', description: l.description, qty: l.qty,
      unitPrice: displayPrice(l.unitPrice, scale), discount: discountText(l.discount, l.discountPercent),
      taxRate: `${l.taxRate} %`, net: l.net, tax: l.tax, gross: l.gross,
    })),
    taxes: taxed ? inv.taxes.map((t) => ({ rate: `${t.rate} %`, net: t.net, tax: t.tax, gross: t.gross })) : [],
    total: { label: `Total ${inv.currency}`, net: inv.net, tax: inv.tax, gross: inv.gross },
    notes: notes(doc),
  }
}

function party(heading: string, p: Party): PartyView {
  return {
    heading,
    name: p.name + (p.code ? ` (${p.code})` : ''),
    lines: [...p.address, ...(p.taxId ? [`Tax id: ${p.taxId}`] : [])],
  }
}

function notes(doc: InvoiceDocument): string[] {
  const inv = doc.invoice
  if (inv.kind === 'credit_note') return [inv.credits ? `Cancels invoice ${inv.credits}.` : 'Credit for goods returned.']
  const out = [`Payment terms: ${inv.paymentTermsDays} days${inv.dueDate ? `, due ${inv.dueDate}` : ''}.`]
  if (doc.paymentReference) out.push(`Please quote ${doc.paymentReference} with your payment.`)
  if (doc.bankDetails.length) out.push(`Pay to: ${doc.bankDetails.join(' · ')}`)
  if (inv.state === 'paid') out.push('Paid in full. Thank you.')
  else if (inv.state === 'partially_paid') out.push(`Paid ${inv.paid} ${inv.currency}; due ${inv.due} ${inv.currency}.`)
  else if (inv.state === 'void') out.push('VOID: cancelled by a credit note.')
  return out
}
