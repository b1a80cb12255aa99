import type { Knex } from 'knex'

import { conflict } from '../errors.js'
import { clockNow } from '../db/clock.js'
import { orderReference } from '../orders/orders.js'
import { Decimal } from '../pricing/money.js'
import { queryRows } from '../db/query-rows.js'
import { partOfLine } from './amounts.js'
import { insertDocument, roundingMode, type DocumentLine } from './drafts.js'
import { orderLineMoney, settleOrderState } from './from-orders.js'
import { checkDay, label, lockInvoice, readInvoice, refuseInvoiceState, type InvoiceDetail } from './invoice.js'
import { issueLocked } from './issue.js'

export interface VoidResult {
  invoice: InvoiceDetail
  creditNote: InvoiceDetail | null
}

/**
 * Void an invoice. An issued one is cancelled by a credit note for all of it (its own series,
 * issued at once); a draft, which has no number, is simply voided. What the invoice took of an
 * order becomes invoiceable again.
 */
export async function voidInvoice(trx: Knex.Transaction, input: { invoice: string | number; date?: string }): Promise<VoidResult> {
  const date = checkDay('date', input.date)
  const inv = await lockInvoice(trx, input.invoice)
  if (inv.kind === 'credit_note') {
    throw conflict(`${label(inv)} is a credit note: credit notes are not voided`, {
      actions: ['Invoice the customer again instead: erp invoices create'],
      data: { invoice: inv.id, number: inv.number },
    })
  }
  refuseInvoiceState(inv, 'void', ['draft', 'issued'], inv.state === 'partially_paid' || inv.state === 'paid' ? ['Payments are recorded on it: a paid invoice is not voided (refund, then credit).'] : [])
  if (inv.order_id) {
    const [over] = await queryRows<{ line_no: number }>(
      trx,
      `select ol.line_no from order_lines ol
         join (select order_line_id, sum(qty) qty from invoice_lines where invoice_id = ? group by 1) x on x.order_line_id = ol.id
        where ol.qty_invoiced - x.qty < ol.qty_credited limit 1`,
      [inv.id],
    )
    if (over) {
      throw conflict(`Cannot void ${label(inv)}: returns of ${orderReference(inv.order_id)} line ${over.line_no} were already credited against it`, {
        data: { invoice: inv.id, orderLine: over.line_no },
      })
    }
  }
  let creditNoteId: string | null = null
  if (inv.state === 'issued') {
    const [head] = await queryRows<{ currency: string; scale: number; tax_inclusive: boolean }>(
      trx, 'select currency, scale, tax_inclusive from invoices where id = ?', [inv.id],
    )
    const lines = await queryRows<DocumentLine>(
      trx,
      `select order_line_id::text as "orderLineId", product_id::text as "productId", sku, description, qty::text, unit_price::text as "unitPrice",
              discount::text, tax_rate::text as "taxRate", net::text, tax::text, gross::text
         from invoice_lines where invoice_id = ? order by line_no`,
      [inv.id],
    )
    creditNoteId = await insertDocument(
      trx,
      {
        kind: 'credit_note', reason: 'void', customerId: inv.customer_id, orderId: inv.order_id, creditedInvoiceId: inv.id,
        currency: head.currency, scale: head.scale, taxInclusive: head.tax_inclusive, paymentTermsDays: inv.payment_terms_days,
      },
      lines,
    )
    const note = await lockInvoice(trx, creditNoteId)
    await issueLocked(trx, [note], date)
  }
  // The time bound, read now: Citus refuses clock_timestamp() (VOLATILE) in an UPDATE.
  await trx.raw(`update invoices set state = 'void', voided_at = ?::timestamptz where id = ?`, [await clockNow(trx), inv.id])
  if (inv.order_id) {
    await trx.raw(
      `update order_lines ol set qty_invoiced = ol.qty_invoiced - x.qty
         from (select order_line_id, sum(qty) qty from invoice_lines where invoice_id = ? and order_line_id is not null group by 1) x
        where ol.id = x.order_line_id`,
      [inv.id],
    )
    await settleOrderState(trx, inv.order_id)
  }
  return { invoice: await readInvoice(trx, inv.id), creditNote: creditNoteId ? await readInvoice(trx, creditNoteId) : null }
}

// ---- credit for returns ---------------------------------------------------------------------

/**
 * Credit what an order's customer returned after it was invoiced: an issued credit note (reason
 * return) for `qty` of each order line, priced as the invoices charged it. Called by the order
 * return in its transaction, before it counts the returned and credited quantities on the order lines.
 */
export async function creditReturn(
  trx: Knex.Transaction,
  orderId: string,
  parts: Array<{ orderLineId: string; qty: string }>,
  date: string | null,
): Promise<InvoiceDetail | null> {
  if (parts.length === 0) return null
  const lines = new Map((await orderLineMoney(trx, [orderId])).map((l) => [l.id, l]))
  const [head] = await queryRows<{ currency: string; scale: number; tax_inclusive: boolean; customer_id: string; payment_terms_days: number }>(
    trx,
    `select o.currency, o.scale, o.tax_inclusive, o.customer_id::text, c.payment_terms_days
       from orders o join customers c on c.id = o.customer_id where o.id = ?`,
    [orderId],
  )
  const mode = await roundingMode(trx)
  const docLines: DocumentLine[] = parts.map((p) => {
    const line = lines.get(p.orderLineId)!
    const all = new Decimal(line.invoiced).equals(p.qty)
    const amounts = partOfLine(
      { qty: line.qty, net: line.net, tax: line.tax, gross: line.gross, discount: line.discount, taxRate: line.tax_rate },
      p.qty,
      {
        taxInclusive: head.tax_inclusive, scale: head.scale, mode,
        remainder: all ? { net: line.done_net, tax: line.done_tax, gross: line.done_gross, discount: line.done_discount } : undefined,
      },
    )
    return { orderLineId: line.id, productId: line.product_id, sku: line.sku, description: line.description, qty: p.qty, unitPrice: line.unit_price, taxRate: line.tax_rate, ...amounts }
  })
  const id = await insertDocument(
    trx,
    {
      kind: 'credit_note', reason: 'return', customerId: head.customer_id, orderId, creditedInvoiceId: null,
      currency: head.currency, scale: head.scale, taxInclusive: head.tax_inclusive, paymentTermsDays: head.payment_terms_days,
    },
    docLines,
  )
  const note = await lockInvoice(trx, id)
  await issueLocked(trx, [note], date)
  return readInvoice(trx, id)
}
