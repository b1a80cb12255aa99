import type { Knex } from 'knex'

import { usageError } from '../errors.js'
import { quote, type QuoteLineInput } from '../pricing/resolve.js'
import { queryRows } from '../db/query-rows.js'
import { insertDocument } from './drafts.js'
import { invoiceOrder, type InvoiceOrderLineInput } from './from-orders.js'
import { readInvoice, type InvoiceDetail } from './invoice.js'

export type CreateInvoiceInput =
  | { order: string | number; lines?: InvoiceOrderLineInput[] }
  | { customer: string; lines: QuoteLineInput[]; date?: string }

/** A draft invoice: for what an order shipped and is not invoiced yet, or free lines priced by the resolver. */
export async function createInvoice(trx: Knex.Transaction, input: CreateInvoiceInput): Promise<InvoiceDetail> {
  if ('order' in input && input.order !== undefined) return readInvoice(trx, await invoiceOrder(trx, input.order, input.lines))
  if (!('customer' in input) || !input.customer) throw usageError('An invoice is for an order (--order) or a customer with lines (--customer, --line)')
  const q = await quote(trx, { customer: input.customer, lines: input.lines, date: input.date })
  const [customer] = await queryRows<{ id: string; payment_terms_days: number }>(
    trx, 'select id::text, payment_terms_days from customers where code = ?', [input.customer],
  )
  const id = await insertDocument(
    trx,
    {
      kind: 'invoice', reason: null, customerId: customer.id, orderId: null, creditedInvoiceId: null, currency: q.currency,
      scale: q.rounding.scale, taxInclusive: q.priceList.taxInclusive, paymentTermsDays: customer.payment_terms_days,
    },
    q.lines.map((l) => ({
      orderLineId: null, productId: l.productId, sku: l.sku, description: l.name, qty: l.qty, unitPrice: l.unitPrice,
      discount: l.discountTotal, taxRate: l.taxRate, net: l.net, tax: l.tax, gross: l.gross,
    })),
  )
  return readInvoice(trx, id)
}
