import type { Knex } from 'knex'

import { distinct, type ItemFailure } from '../batch.js'
import { type ErpError, conflict, notFound, usageError } from '../errors.js'
import { queryRows } from '../db/query-rows.js'
import { isCalendarDate, notADate } from '../validation.js'

/**
 * Invoices and credit notes: their types, the read model, and the locking and state checks the
 * services beside this file share. Issued documents are immutable (database triggers); `void`
 * issues a credit note for the whole invoice.
 */

export const INVOICE_STATES = ['draft', 'issued', 'partially_paid', 'paid', 'void'] as const
export type InvoiceState = (typeof INVOICE_STATES)[number]
export type InvoiceKind = 'invoice' | 'credit_note'

export interface Invoice {
  id: string
  kind: InvoiceKind
  reason: 'void' | 'return' | null
  number: string | null
  state: InvoiceState
  customer: string
  customerName: string
  order: string | null
  credits: string | null
  currency: string
  taxInclusive: boolean
  net: string
  tax: string
  gross: string
  paid: string
  due: string
  issueDate: string | null
  dueDate: string | null
  paymentTermsDays: number
  createdAt: Date
  issuedAt: Date | null
}

export interface InvoiceLine {
  line: number
  sku: string | null
  description: string
  qty: string
  unitPrice: string
  discount: string
  /** The order line's own discount in percent, when it had one. */
  discountPercent: string | null
  taxRate: string
  net: string
  tax: string
  gross: string
  orderLine: number | null
}

export interface InvoiceTax {
  rate: string
  net: string
  tax: string
  gross: string
}

export interface Payment {
  id: string
  amount: string
  method: string
  paidOn: string
  reference: string | null
  /** ISO timestamp. */
  createdAt: string
}

export interface InvoiceDetail extends Invoice {
  lines: InvoiceLine[]
  taxes: InvoiceTax[]
  payments: Payment[]
  creditNotes: Array<{ id: string; number: string | null; reason: string; gross: string }>
}

export const INVOICE_SELECT = `
  select i.id::text, i.kind, i.reason, i.number, i.state, c.code as customer, c.name as "customerName",
         case when i.order_id is null then null else 'SO-' || i.order_id end as "order",
         ci.number as credits, i.currency, i.tax_inclusive as "taxInclusive",
         round(i.net, i.scale)::text as net, round(i.tax, i.scale)::text as tax, round(i.gross, i.scale)::text as gross,
         round(i.paid, i.scale)::text as paid,
         round(case when i.kind = 'invoice' and i.state in ('issued', 'partially_paid') then i.gross - i.paid else 0 end, i.scale)::text as due,
         to_char(i.issue_date, 'YYYY-MM-DD') as "issueDate", to_char(i.due_date, 'YYYY-MM-DD') as "dueDate",
         i.payment_terms_days as "paymentTermsDays", i.created_at as "createdAt", i.issued_at as "issuedAt"
    from invoices i join customers c on c.id = i.customer_id
    left join invoices ci on ci.id = i.credited_invoice_id`

/** An invoice named by its id or its number (INV-2026-000123). */
async function invoiceId(trx: Knex.Transaction, ref: string | number): Promise<string> {
  const text = String(ref).trim()
  const rows = /^\d{1,18}$/.test(text)
    ? await queryRows<{ id: string }>(trx, 'select id::text from invoices where id = ?', [text])
    : await queryRows<{ id: string }>(trx, 'select id::text from invoices where number = ?', [text])
  if (!rows[0]) throw notFound(`No invoice ${text}`, { actions: ['List invoices with: erp invoices list'], data: { invoice: text } })
  return rows[0].id
}

export interface LockedInvoice {
  id: string
  kind: InvoiceKind
  reason: string | null
  number: string | null
  state: InvoiceState
  gross: string
  paid: string
  scale: number
  order_id: string | null
  customer_id: string
  payment_terms_days: number
  /** YYYY-MM-DD; null for a draft. */
  issue_date: string | null
}

export async function lockInvoice(trx: Knex.Transaction, ref: string | number): Promise<LockedInvoice> {
  const { locked, failures } = await lockInvoices(trx, [ref])
  if (failures.length) throw failures[0].error
  return locked[0]
}

/** Lock many invoices (ids or numbers) in id order; the ones not found come back as failures. */
export async function lockInvoices(trx: Knex.Transaction, refs: Array<string | number>): Promise<{ locked: LockedInvoice[]; failures: ItemFailure[] }> {
  const texts = distinct(refs.map((r) => String(r).trim()), (t) => t)
  const ids = texts.filter((t) => /^\d{1,18}$/.test(t))
  const numbers = texts.filter((t) => !/^\d{1,18}$/.test(t))
  const locked = await queryRows<LockedInvoice>(
    trx,
    `select id::text, kind, reason, number, state, gross::text, paid::text, scale, order_id::text, customer_id::text, payment_terms_days,
            to_char(issue_date, 'YYYY-MM-DD') as issue_date
       from invoices i where i.id = any(?::bigint[]) or i.number = any(?::text[]) order by i.id for update`,
    [ids, numbers],
  )
  const found = new Set(locked.flatMap((i) => [i.id, i.number]))
  const failures = texts.filter((t) => !found.has(t)).map((t) => ({
    key: t,
    error: notFound(`No invoice ${t}`, { actions: ['List invoices with: erp invoices list'], data: { invoice: t } }),
  }))
  return { locked: distinct(locked, (i) => i.id), failures }
}

/** How a batch's failures name these invoices (ids or numbers): by number, as a draft, or as given when none matches. */
export async function invoiceKeys(trx: Knex.Transaction, refs: Array<string | number>): Promise<string[]> {
  const texts = refs.map((r) => String(r).trim())
  const rows = await queryRows<{ id: string; number: string | null; kind: string }>(
    trx,
    'select id::text, number, kind from invoices where id = any(?::bigint[]) or number = any(?::text[])',
    [texts.filter((t) => /^\d{1,18}$/.test(t)), texts.filter((t) => !/^\d{1,18}$/.test(t))],
  )
  const labelOf = new Map(rows.flatMap((r) => [[r.id, label(r)], ...(r.number ? [[r.number, label(r)]] : [])] as Array<[string, string]>))
  return texts.map((t) => labelOf.get(t) ?? t)
}

export const label = (inv: { id: string; number: string | null; kind: string }) =>
  inv.number ?? `draft ${inv.kind === 'credit_note' ? 'credit note' : 'invoice'} ${inv.id}`

export function refuseInvoiceState(inv: LockedInvoice, action: string, allowed: readonly InvoiceState[], extra: string[] = []): void {
  const refusal = invoiceStateRefusal(inv, action, allowed, extra)
  if (refusal) throw refusal
}

export function invoiceStateRefusal(inv: LockedInvoice, action: string, allowed: readonly InvoiceState[], extra: string[] = []): ErpError | null {
  if (allowed.includes(inv.state)) return null
  return conflict(`Cannot ${action} ${label(inv)}: it is ${inv.state.replace('_', ' ')} (only ${allowed.map((s) => s.replace('_', ' ')).join(' or ')} invoices can be)`, {
    actions: [...extra, `See it with: erp invoices show ${inv.id}`],
    data: { invoice: inv.id, number: inv.number, state: inv.state, allowed },
  })
}

export async function getInvoice(trx: Knex.Transaction, ref: string | number): Promise<InvoiceDetail> {
  const id = await invoiceId(trx, ref)
  return readInvoice(trx, id)
}

/** One round trip: the header with its lines, taxes, payments and credit notes as JSON arrays. */
export async function readInvoice(trx: Knex.Transaction, id: string): Promise<InvoiceDetail> {
  const [invoice] = await queryRows<InvoiceDetail>(
    trx,
    `${INVOICE_SELECT.replace(/\n\s*from invoices i join customers c[\s\S]*$/, '')},
         coalesce((select json_agg(json_build_object(
                    'line', il.line_no, 'sku', il.sku, 'description', il.description, 'qty', trim_scale(il.qty)::text,
                    'unitPrice', il.unit_price::text, 'discount', round(il.discount, i.scale)::text, 'taxRate', trim_scale(il.tax_rate)::text,
                    'net', round(il.net, i.scale)::text, 'tax', round(il.tax, i.scale)::text, 'gross', round(il.gross, i.scale)::text,
                    'orderLine', ol.line_no, 'discountPercent', trim_scale(ol.discount_percent)::text) order by il.line_no)
                     from invoice_lines il left join order_lines ol on ol.id = il.order_line_id where il.invoice_id = i.id), '[]') as lines,
         coalesce((select json_agg(json_build_object('rate', trim_scale(t.rate)::text, 'net', round(t.net, i.scale)::text,
                                                     'tax', round(t.tax, i.scale)::text, 'gross', round(t.gross, i.scale)::text) order by t.rate)
                     from invoice_taxes t where t.invoice_id = i.id), '[]') as taxes,
         coalesce((select json_agg(json_build_object('id', p.id::text, 'amount', round(p.amount, i.scale)::text, 'method', p.method,
                                                     'paidOn', to_char(p.paid_on, 'YYYY-MM-DD'), 'reference', p.reference, 'createdAt', p.created_at) order by p.id)
                     from payments p where p.invoice_id = i.id), '[]') as payments,
         coalesce((select json_agg(json_build_object('id', n.id::text, 'number', n.number, 'reason', n.reason,
                                                     'gross', round(n.gross, n.scale)::text) order by n.id)
                     from invoices n where n.credited_invoice_id = i.id), '[]') as "creditNotes"
       from invoices i join customers c on c.id = i.customer_id
       left join invoices ci on ci.id = i.credited_invoice_id
      where i.id = ?`,
    [id],
  )
  return invoice
}

export function checkDay(field: string, value: string | undefined): string | null {
  if (value === undefined) return null
  if (!isCalendarDate(value)) throw usageError(`--${field}: ${notADate(value)}`, { data: { [field]: value } })
  return value.trim()
}
