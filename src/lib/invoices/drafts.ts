import type { Knex } from 'knex'

import { Decimal, fixed, type RoundingMode } from '../pricing/money.js'
import { settingValue } from '../settings/settings.js'
import { queryRows } from '../db/query-rows.js'
import type { InvoiceKind } from './invoice.js'

/**
 * Writing a draft invoice or credit note. Totals are the sum of the lines and taxes the lines per
 * rate, which the database checks at commit.
 */

export interface DocumentLine {
  orderLineId: string | null
  productId: string | null
  sku: string | null
  description: string
  qty: string
  unitPrice: string
  discount: string
  taxRate: string
  net: string
  tax: string
  gross: string
}

export interface DocumentHeader {
  kind: InvoiceKind
  reason: 'void' | 'return' | null
  customerId: string
  orderId: string | null
  creditedInvoiceId: string | null
  currency: string
  scale: number
  taxInclusive: boolean
  paymentTermsDays: number
}

/** Insert a draft with its lines and its taxes per rate; its totals are the sums of the lines. */
export async function insertDocument(trx: Knex.Transaction, header: DocumentHeader, lines: DocumentLine[]): Promise<string> {
  return (await insertDocuments(trx, [{ header, lines }]))[0]
}

/** Insert many drafts in one statement (headers, lines, taxes per rate); their ids in the order given. */
export async function insertDocuments(trx: Knex.Transaction, docs: Array<{ header: DocumentHeader; lines: DocumentLine[] }>): Promise<string[]> {
  if (docs.length === 0) return []
  const heads: unknown[] = []
  const lines: unknown[] = []
  const taxes: unknown[] = []
  docs.forEach(({ header, lines: docLines }, doc) => {
    const sum = (pick: (l: DocumentLine) => string, subset = docLines) => fixed(subset.reduce((a, l) => a.plus(pick(l)), new Decimal(0)), header.scale)
    heads.push({
      doc, kind: header.kind, reason: header.reason, series: header.kind === 'invoice' ? 'INV' : 'CN', customer_id: header.customerId,
      order_id: header.orderId, credited_invoice_id: header.creditedInvoiceId, currency: header.currency, scale: header.scale,
      tax_inclusive: header.taxInclusive, payment_terms_days: header.paymentTermsDays,
      net: sum((l) => l.net), tax: sum((l) => l.tax), gross: sum((l) => l.gross),
    })
    const byRate = new Map<string, DocumentLine[]>()
    docLines.forEach((l, i) => {
      const key = new Decimal(l.taxRate).toFixed()
      byRate.set(key, [...(byRate.get(key) ?? []), l])
      lines.push({
        doc, line_no: i + 1, order_line_id: l.orderLineId, product_id: l.productId, sku: l.sku, description: l.description, qty: l.qty,
        unit_price: l.unitPrice, discount: l.discount, tax_rate: l.taxRate, net: l.net, tax: l.tax, gross: l.gross,
      })
    })
    for (const [rate, group] of byRate) taxes.push({ doc, rate, net: sum((l) => l.net, group), tax: sum((l) => l.tax, group), gross: sum((l) => l.gross, group) })
  })
  // Ids drawn first, so that lines and taxes know their document in the same statement. Rows go in
  // customer order: their foreign-key checks lock the customers (KEY SHARE) in id order, as a
  // batch confirm does, so parallel batches queue instead of deadlocking.
  const rows = await queryRows<{ doc: number; id: string }>(
    trx,
    `with h as materialized (
       select x.*, nextval(pg_get_serial_sequence('invoices', 'id')) as id
         from jsonb_to_recordset(?::jsonb) as x(doc int, kind text, reason text, series text, customer_id bigint, order_id bigint,
              credited_invoice_id bigint, currency text, scale smallint, tax_inclusive boolean, payment_terms_days int,
              net numeric, tax numeric, gross numeric)
     ), ins as (
       insert into invoices (id, kind, reason, series, customer_id, order_id, credited_invoice_id, currency, scale, tax_inclusive,
                             payment_terms_days, net, tax, gross)
       overriding system value
       select id, kind, reason, series, customer_id, order_id, credited_invoice_id, currency, scale, tax_inclusive,
              payment_terms_days, net, tax, gross from h order by customer_id, id
       returning 1
     ), l as (
       insert into invoice_lines (invoice_id, line_no, order_line_id, product_id, sku, description, qty, unit_price, discount,
                                  tax_rate, net, tax, gross)
       select h.id, x.line_no, x.order_line_id, x.product_id, x.sku, x.description, x.qty, x.unit_price, x.discount,
              x.tax_rate, x.net, x.tax, x.gross
         from jsonb_to_recordset(?::jsonb) as x(doc int, line_no int, order_line_id bigint, product_id bigint, sku text, description text,
              qty numeric, unit_price numeric, discount numeric, tax_rate numeric, net numeric, tax numeric, gross numeric)
         join h on h.doc = x.doc
       returning 1
     ), t as (
       insert into invoice_taxes (invoice_id, rate, net, tax, gross)
       select h.id, x.rate, x.net, x.tax, x.gross
         from jsonb_to_recordset(?::jsonb) as x(doc int, rate numeric, net numeric, tax numeric, gross numeric)
         join h on h.doc = x.doc
       returning 1
     )
     select doc, id::text from h order by doc`,
    [JSON.stringify(heads), JSON.stringify(lines), JSON.stringify(taxes)],
  )
  return rows.map((r) => r.id)
}

export async function roundingMode(trx: Knex.Transaction): Promise<RoundingMode> {
  return settingValue<RoundingMode>(trx, 'rounding.mode')
}
