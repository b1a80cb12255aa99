import type { Knex } from 'knex'

import { distinct, throwIfFailed, type ItemFailure } from '../batch.js'
import { ErpError, conflict, invalidData, notFound, usageError } from '../cli/errors.js'
import { lockOrders, orderReference, parseOrderRef } from '../orders/orders.js'
import { Decimal, currencyScale, fixed, type RoundingMode } from '../pricing/money.js'
import { quote, type QuoteLineInput } from '../pricing/resolve.js'
import { settingValue } from '../settings/settings.js'
import { queryRows } from '../stock/sql.js'
import { Problems, checkDecimal } from '../validation.js'
import { formatHasYear, formatNumber, partOfLine } from './amounts.js'

/**
 * Invoices and credit notes. A draft has no number; `issue` takes the next number of its series
 * (INV or CN, per year when the format holds the year) from invoice_series with one
 * INSERT … ON CONFLICT DO UPDATE … RETURNING inside the issuing transaction: the series row stays
 * locked until commit, so concurrent issuers queue in issue order and a rollback gives the number
 * back (gapless). Issued documents are immutable (database triggers); `void` issues a credit note
 * for the whole invoice. Totals are the sum of the lines and taxes the lines per rate, which the
 * database checks at commit.
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

const INVOICE_SELECT = `
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

interface LockedInvoice {
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
}

async function lockInvoice(trx: Knex.Transaction, ref: string | number): Promise<LockedInvoice> {
  const { locked, failures } = await lockInvoices(trx, [ref])
  if (failures.length) throw failures[0].error
  return locked[0]
}

/** Lock many invoices (ids or numbers) in id order; the ones not found come back as failures. */
async function lockInvoices(trx: Knex.Transaction, refs: Array<string | number>): Promise<{ locked: LockedInvoice[]; failures: ItemFailure[] }> {
  const texts = distinct(refs.map((r) => String(r).trim()), (t) => t)
  const ids = texts.filter((t) => /^\d{1,18}$/.test(t))
  const numbers = texts.filter((t) => !/^\d{1,18}$/.test(t))
  const locked = await queryRows<LockedInvoice>(
    trx,
    `select id::text, kind, reason, number, state, gross::text, paid::text, scale, order_id::text, customer_id::text, payment_terms_days
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

const label = (inv: { id: string; number: string | null; kind: string }) =>
  inv.number ?? `draft ${inv.kind === 'credit_note' ? 'credit note' : 'invoice'} ${inv.id}`

function refuseInvoiceState(inv: LockedInvoice, action: string, allowed: readonly InvoiceState[], extra: string[] = []): void {
  const refusal = invoiceStateRefusal(inv, action, allowed, extra)
  if (refusal) throw refusal
}

function invoiceStateRefusal(inv: LockedInvoice, action: string, allowed: readonly InvoiceState[], extra: string[] = []): ErpError | null {
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
async function readInvoice(trx: Knex.Transaction, id: string): Promise<InvoiceDetail> {
  const [invoice] = await queryRows<InvoiceDetail>(
    trx,
    `${INVOICE_SELECT.replace(/\n\s*from invoices i join customers c[\s\S]*$/, '')},
         coalesce((select json_agg(json_build_object(
                    'line', il.line_no, 'sku', il.sku, 'description', il.description, 'qty', trim_scale(il.qty)::text,
                    'unitPrice', il.unit_price::text, 'discount', round(il.discount, i.scale)::text, 'taxRate', trim_scale(il.tax_rate)::text,
                    'net', round(il.net, i.scale)::text, 'tax', round(il.tax, i.scale)::text, 'gross', round(il.gross, i.scale)::text,
                    'orderLine', ol.line_no) order by il.line_no)
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

// ---- writing a document ---------------------------------------------------------------------

interface DocumentLine {
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

interface DocumentHeader {
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
async function insertDocument(trx: Knex.Transaction, header: DocumentHeader, lines: DocumentLine[]): Promise<string> {
  return (await insertDocuments(trx, [{ header, lines }]))[0]
}

/** Insert many drafts in one statement (headers, lines, taxes per rate); their ids in the order given. */
async function insertDocuments(trx: Knex.Transaction, docs: Array<{ header: DocumentHeader; lines: DocumentLine[] }>): Promise<string[]> {
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

async function roundingMode(trx: Knex.Transaction): Promise<RoundingMode> {
  return settingValue<RoundingMode>(trx, 'rounding.mode')
}

// ---- create ---------------------------------------------------------------------------------

export interface InvoiceOrderLineInput {
  /** Order line number (1-based), or the SKU when the order has one line of it. */
  line?: number
  sku?: string
  qty?: string
}

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

interface OpenOrderLine {
  id: string
  order_id: string
  line_no: number
  product_id: string
  sku: string
  description: string
  qty: string
  unit_price: string
  discount: string
  tax_rate: string
  net: string
  tax: string
  gross: string
  open: string
  invoiced: string
  done_net: string
  done_tax: string
  done_gross: string
  done_discount: string
}

/**
 * Order lines with what is shipped and not invoiced (open) and the amounts documents took so far:
 * those are read only for lines invoiced before (a credit needs an invoice), by their ids, so
 * that invoicing many orders for the first time reads nothing else.
 */
async function orderLineMoney(trx: Knex.Transaction, orderIds: string[]): Promise<OpenOrderLine[]> {
  const lines = await queryRows<Omit<OpenOrderLine, 'done_net' | 'done_tax' | 'done_gross' | 'done_discount'> & { billed: boolean }>(
    trx,
    `select l.id::text, l.order_id::text, l.line_no, l.product_id::text, l.sku, l.description, l.qty::text, l.unit_price::text, l.discount::text,
            l.tax_rate::text, l.net::text, l.tax::text, l.gross::text,
            (l.qty_fulfilled - l.qty_returned - (l.qty_invoiced - l.qty_credited))::text as open,
            (l.qty_invoiced - l.qty_credited)::text as invoiced, l.qty_invoiced > 0 as billed
       from order_lines l
      where l.order_id = any(?::bigint[]) order by l.order_id, l.line_no`,
    [orderIds],
  )
  const billed = lines.filter((l) => l.billed).map((l) => l.id)
  const done = new Map<string, { net: string; tax: string; gross: string; discount: string }>()
  if (billed.length) {
    const rows = await queryRows<{ id: string; net: string; tax: string; gross: string; discount: string }>(
      trx,
      `select il.order_line_id::text as id,
              sum(case when i.kind = 'invoice' then il.net else -il.net end)::text as net,
              sum(case when i.kind = 'invoice' then il.tax else -il.tax end)::text as tax,
              sum(case when i.kind = 'invoice' then il.gross else -il.gross end)::text as gross,
              sum(case when i.kind = 'invoice' then il.discount else -il.discount end)::text as discount
         from invoice_lines il join invoices i on i.id = il.invoice_id
        where il.order_line_id = any(?::bigint[]) and ((i.kind = 'invoice' and i.state <> 'void') or i.reason = 'return')
        group by il.order_line_id`,
      [billed],
    )
    for (const r of rows) done.set(r.id, r)
  }
  return lines.map(({ billed: _billed, ...l }) => {
    const d = done.get(l.id)
    return { ...l, done_net: d?.net ?? '0', done_tax: d?.tax ?? '0', done_gross: d?.gross ?? '0', done_discount: d?.discount ?? '0' }
  })
}

export interface InvoiceOrderInput {
  order: string | number
  /** Only these lines (number or SKU, optionally a quantity); everything shipped and not invoiced by default. */
  lines?: InvoiceOrderLineInput[]
}

export interface OrderInvoiced {
  order: string
  reference: string
  /** The draft invoice's id. */
  invoice: string
  currency: string
  net: string
  tax: string
  gross: string
  lines: number
}

export interface InvoiceOrdersResult {
  items: OrderInvoiced[]
}

async function invoiceOrder(trx: Knex.Transaction, ref: string | number, wanted?: InvoiceOrderLineInput[]): Promise<string> {
  const { items: [item] } = await invoiceOrders(trx, [{ order: ref, lines: wanted }])
  return item.invoice
}

/**
 * Draft invoices for many orders at once, one per order, for what each shipped and has not
 * invoiced (or the lines named), all or nothing, in a few statements whatever their number. The
 * orders are locked in id order, so a quantity is never invoiced twice; the error names every
 * order that cannot be invoiced and why.
 */
export async function invoiceOrders(trx: Knex.Transaction, inputs: InvoiceOrderInput[]): Promise<InvoiceOrdersResult> {
  const wanted = distinct(inputs, (i) => parseOrderRef(i.order))
  const { locked, failures } = await lockOrders(trx, wanted.map((i) => i.order))
  const keys = [...locked.map((o) => orderReference(o.id)), ...failures.map((f) => f.key)]
  const shipped = locked.filter((order) => {
    if (['partially_fulfilled', 'fulfilled', 'closed'].includes(order.state)) return true
    failures.push({ key: orderReference(order.id), error: conflict(`Cannot invoice ${orderReference(order.id)}: it is ${order.state.replace('_', ' ')}; an order is invoiced for what it shipped`, {
      actions: [`Fulfil it first: erp orders fulfil ${order.id}`],
      data: { order: order.id, state: order.state },
    }) })
    return false
  })
  const ids = shipped.map((o) => o.id)
  const linesOf = new Map<string, OpenOrderLine[]>()
  for (const l of await orderLineMoney(trx, ids)) linesOf.set(l.order_id, [...(linesOf.get(l.order_id) ?? []), l])
  const heads = new Map((await queryRows<{ id: string; currency: string; scale: number; tax_inclusive: boolean; customer_id: string; payment_terms_days: number }>(
    trx,
    `select o.id::text, o.currency, o.scale, o.tax_inclusive, o.customer_id::text, c.payment_terms_days
       from orders o join customers c on c.id = o.customer_id where o.id = any(?::bigint[])`,
    [ids],
  )).map((h) => [h.id, h]))
  const mode = await roundingMode(trx)
  const inputOf = new Map(wanted.map((i) => [parseOrderRef(i.order), i]))
  const docs: Array<{ order: string; header: DocumentHeader; lines: DocumentLine[]; picks: Array<{ line: OpenOrderLine; qty: string }> }> = []
  for (const id of ids) {
    let picks: Array<{ line: OpenOrderLine; qty: string }>
    try {
      picks = pickOrderLines(id, linesOf.get(id) ?? [], inputOf.get(id)!.lines)
    } catch (err) {
      if (!(err instanceof ErpError)) throw err
      failures.push({ key: orderReference(id), error: err })
      continue
    }
    if (picks.length === 0) {
      failures.push({ key: orderReference(id), error: conflict(`Nothing of ${orderReference(id)} is left to invoice: everything shipped is invoiced`, {
        actions: [`See its invoices with: erp orders show ${id}`],
        data: { order: id },
      }) })
      continue
    }
    const head = heads.get(id)!
    const lines: DocumentLine[] = picks.map(({ line, qty }) => {
      const completes = new Decimal(line.invoiced).plus(qty).equals(line.qty)
      const amounts = partOfLine(
        { qty: line.qty, net: line.net, tax: line.tax, gross: line.gross, discount: line.discount, taxRate: line.tax_rate },
        qty,
        {
          taxInclusive: head.tax_inclusive, scale: head.scale, mode,
          remainder: completes
            ? {
                net: new Decimal(line.net).minus(line.done_net).toFixed(), tax: new Decimal(line.tax).minus(line.done_tax).toFixed(),
                gross: new Decimal(line.gross).minus(line.done_gross).toFixed(), discount: new Decimal(line.discount).minus(line.done_discount).toFixed(),
              }
            : undefined,
        },
      )
      return {
        orderLineId: line.id, productId: line.product_id, sku: line.sku, description: line.description, qty,
        unitPrice: line.unit_price, taxRate: line.tax_rate, ...amounts,
      }
    })
    docs.push({
      order: id, picks, lines,
      header: {
        kind: 'invoice', reason: null, customerId: head.customer_id, orderId: id, creditedInvoiceId: null, currency: head.currency,
        scale: head.scale, taxInclusive: head.tax_inclusive, paymentTermsDays: head.payment_terms_days,
      },
    })
  }
  throwIfFailed('orders', keys, failures)

  const invoiceIds = await insertDocuments(trx, docs)
  // The CHECK on order_lines refuses invoicing more than was shipped and not returned, even if
  // two invoicers raced past the lock above.
  const picks = docs.flatMap((d) => d.picks)
  await queryRows(
    trx,
    `update order_lines l set qty_invoiced = l.qty_invoiced + x.qty
       from unnest(?::bigint[], ?::numeric[]) as x(id, qty) where l.id = x.id`,
    [picks.map((p) => p.line.id), picks.map((p) => p.qty)],
  )
  await settleOrderStates(trx, docs.map((d) => d.order))
  const total = (d: (typeof docs)[number], pick: (l: DocumentLine) => string) => fixed(d.lines.reduce((a, l) => a.plus(pick(l)), new Decimal(0)), d.header.scale)
  return {
    items: docs.map((d, i) => ({
      order: d.order, reference: orderReference(d.order), invoice: invoiceIds[i], currency: d.header.currency,
      net: total(d, (l) => l.net), tax: total(d, (l) => l.tax), gross: total(d, (l) => l.gross), lines: d.lines.length,
    })),
  }
}

function pickOrderLines(orderId: string, lines: OpenOrderLine[], wanted?: InvoiceOrderLineInput[]): Array<{ line: OpenOrderLine; qty: string }> {
  if (!wanted || wanted.length === 0) {
    return lines.filter((l) => new Decimal(l.open).greaterThan(0)).map((line) => ({ line, qty: new Decimal(line.open).toFixed() }))
  }
  const problems = new Problems()
  const picks: Array<{ line: OpenOrderLine; qty: string }> = []
  wanted.forEach((w, i) => {
    const field = `lines[${i + 1}]`
    const matches = lines.filter((l) => (w.line !== undefined ? l.line_no === w.line : l.sku === w.sku))
    if (matches.length !== 1) {
      problems.add(field, matches.length === 0 ? `${orderReference(orderId)} has no line ${w.line ?? w.sku}` : `${w.sku} is on several lines: name the line number`)
      return
    }
    const line = matches[0]
    const qty = w.qty === undefined ? new Decimal(line.open).toFixed() : checkDecimal(problems, `${field}.qty`, w.qty, { precision: 18, scale: 4, nonNegative: true })
    if (qty === undefined) return
    if (new Decimal(qty).lessThanOrEqualTo(0)) problems.add(`${field}.qty`, `line ${line.line_no} (${line.sku}): nothing shipped is left to invoice`)
    else if (new Decimal(qty).greaterThan(line.open)) {
      problems.add(`${field}.qty`, `line ${line.line_no} (${line.sku}): ${qty} asked, only ${new Decimal(line.open).toFixed()} shipped and not invoiced`)
    } else if (picks.some((p) => p.line.id === line.id)) problems.add(field, `line ${line.line_no} is named twice`)
    else picks.push({ line, qty })
  })
  problems.throwIfAny(`${orderReference(orderId)} not invoiced`)
  return picks
}

/**
 * An order's state from its lines: fulfilled when everything shipped, closed when besides
 * everything shipped is invoiced; a voided invoice reopens a closed order.
 */
export async function settleOrderState(trx: Knex.Transaction, orderId: string): Promise<void> {
  await settleOrderStates(trx, [orderId])
}

/** settleOrderState for many orders in one statement; returns each one's state (confirmed onwards). */
export async function settleOrderStates(trx: Knex.Transaction, orderIds: string[]): Promise<Map<string, string>> {
  const rows = await queryRows<{ id: string; state: string }>(
    trx,
    `with s as (
       select order_id as id,
              case when bool_and(qty_fulfilled = qty) and bool_and(qty_invoiced - qty_credited = qty_fulfilled - qty_returned) then 'closed'
                   when bool_and(qty_fulfilled = qty) then 'fulfilled'
                   when bool_or(qty_fulfilled > 0) then 'partially_fulfilled'
                   else 'confirmed' end as state
         from order_lines where order_id = any(?::bigint[]) group by order_id
     ), u as (
       update orders o set state = s.state, updated_at = now(),
              closed_at = case when s.state = 'closed' then coalesce(o.closed_at, now()) else null end
         from s
        where o.id = s.id and o.state in ('confirmed', 'partially_fulfilled', 'fulfilled', 'closed') and o.state <> s.state
       returning o.id
     )
     select s.id::text, s.state from s join orders o on o.id = s.id
      where o.state in ('confirmed', 'partially_fulfilled', 'fulfilled', 'closed')`,
    [orderIds],
  )
  return new Map(rows.map((r) => [r.id, r.state]))
}

// ---- issue ----------------------------------------------------------------------------------

export interface IssueInput {
  invoice: string | number
  /** YYYY-MM-DD; today by default. */
  date?: string
}

export interface IssueInvoicesInput {
  /** Ids or numbers; an invoice named twice is issued once. */
  invoices: Array<string | number>
  /** YYYY-MM-DD; today by default. */
  date?: string
}

export interface IssuedInvoice {
  id: string
  number: string
  kind: InvoiceKind
  issueDate: string
  dueDate: string
  currency: string
  gross: string
}

export interface IssueInvoicesResult {
  items: IssuedInvoice[]
}

/** Give a draft its number (gapless per series and year), its issue and due dates. */
export async function issueInvoice(trx: Knex.Transaction, input: IssueInput): Promise<InvoiceDetail> {
  const { items: [item] } = await issueInvoices(trx, { invoices: [input.invoice], date: input.date })
  return readInvoice(trx, item.id)
}

/**
 * Issue many drafts at once, all or nothing: they are locked in id order and numbered in that
 * order, each series' numbers taken in one statement that holds the series row until commit, so
 * parallel batches queue and the numbers stay gapless and in issue order.
 */
export async function issueInvoices(trx: Knex.Transaction, input: IssueInvoicesInput): Promise<IssueInvoicesResult> {
  const date = checkDay('date', input.date)
  const { locked, failures } = await lockInvoices(trx, input.invoices)
  const keys = [...locked.map(label), ...failures.map((f) => f.key)]
  const drafts = locked.filter((inv) => {
    const refusal = invoiceStateRefusal(inv, 'issue', ['draft'])
    if (refusal) failures.push({ key: label(inv), error: refusal })
    return !refusal
  })
  throwIfFailed('invoices', keys, failures)
  const numbered = await issueLocked(trx, drafts, date)
  return { items: drafts.map((inv) => ({ ...numbered.get(inv.id)!, id: inv.id, kind: inv.kind, gross: fixed(new Decimal(inv.gross), inv.scale) })) }
}

/**
 * Number locked drafts, in the order given: per series the next numbers are taken in one
 * INSERT … ON CONFLICT DO UPDATE … RETURNING (the series row stays locked until commit; a rollback
 * gives the numbers back), then every draft is stamped in one statement.
 */
async function issueLocked(
  trx: Knex.Transaction,
  invs: LockedInvoice[],
  date: string | null,
): Promise<Map<string, { number: string; issueDate: string; dueDate: string; currency: string }>> {
  if (invs.length === 0) return new Map()
  const kinds = [...new Set(invs.map((i) => i.kind))].sort()
  const formats = new Map<InvoiceKind, string>()
  for (const kind of kinds) formats.set(kind, await settingValue<string>(trx, kind === 'invoice' ? 'invoices.number_format' : 'invoices.credit_note_format'))
  const series = (kind: InvoiceKind) => (kind === 'invoice' ? 'INV' : 'CN')
  const count = (kind: InvoiceKind) => invs.filter((i) => i.kind === kind).length
  // The numbers: each series row is locked until this transaction ends (series in name order).
  const taken = await queryRows<{ series: string; next: string; year: number; day: string }>(
    trx,
    `with d as (select coalesce(?::date, current_date) as day)
     insert into invoice_series as s (series, year, next_number)
     select w.series, case when w.yearly then extract(year from d.day)::int else 0 end, w.n + 1
       from unnest(?::text[], ?::boolean[], ?::bigint[]) as w(series, yearly, n), d
      order by 1, 2
     on conflict (series, year) do update set next_number = s.next_number + excluded.next_number - 1
     returning s.series, s.next_number::text as next, extract(year from (select day from d))::int as year,
               to_char((select day from d), 'YYYY-MM-DD') as day`,
    [date, kinds.map(series), kinds.map((k) => formatHasYear(formats.get(k)!)), kinds.map(count)],
  )
  const next = new Map(taken.map((t) => [t.series, BigInt(t.next) - BigInt(count(t.series === 'INV' ? 'invoice' : 'credit_note'))]))
  const { year, day } = taken[0]
  const stamps = invs.map((inv) => {
    const seq = next.get(series(inv.kind))!
    next.set(series(inv.kind), seq + 1n)
    const format = formats.get(inv.kind)!
    return { id: inv.id, year: formatHasYear(format) ? year : 0, seq: seq.toString(), number: formatNumber(format, year, seq) }
  })
  // One issue time for the batch: numbers follow issue order (issued_at, then seq).
  const rows = await queryRows<{ id: string; number: string; issueDate: string; dueDate: string; currency: string }>(
    trx,
    `update invoices i set state = 'issued', year = x.year, seq = x.seq, number = x.number, issue_date = ?::date,
            due_date = ?::date + i.payment_terms_days, issued_at = (select clock_timestamp())
       from unnest(?::bigint[], ?::int[], ?::bigint[], ?::text[]) as x(id, year, seq, number)
      where i.id = x.id
     returning i.id::text, i.number, to_char(i.issue_date, 'YYYY-MM-DD') as "issueDate", to_char(i.due_date, 'YYYY-MM-DD') as "dueDate", i.currency`,
    [day, day, stamps.map((s) => s.id), stamps.map((s) => s.year), stamps.map((s) => s.seq), stamps.map((s) => s.number)],
  )
  return new Map(rows.map((r) => [r.id, r]))
}

function checkDay(field: string, value: string | undefined): string | null {
  if (value === undefined) return null
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw usageError(`--${field} "${value}" is not a date (YYYY-MM-DD)`, { data: { [field]: value } })
  }
  return value
}

// ---- void -----------------------------------------------------------------------------------

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
  await trx.raw(`update invoices set state = 'void', voided_at = clock_timestamp() where id = ?`, [inv.id])
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

// ---- payments -------------------------------------------------------------------------------

export interface PayInput {
  invoice: string | number
  amount: string
  method: string
  /** YYYY-MM-DD; today by default. */
  date?: string
  reference?: string
}

export interface PayResult {
  payment: Payment
  invoice: InvoiceDetail
}

/** Record a payment: partial payments add up; paying more than is due is refused. */
export async function payInvoice(trx: Knex.Transaction, input: PayInput): Promise<PayResult> {
  const problems = new Problems()
  const amount = checkDecimal(problems, 'amount', String(input.amount ?? ''), { precision: 14, scale: 4, nonNegative: true })
  if (amount !== undefined && new Decimal(amount).isZero()) problems.add('amount', 'must be more than zero')
  const method = (input.method ?? '').trim().toLowerCase()
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(method)) problems.add('method', 'a word such as bank, card, cash, cheque')
  problems.throwIfAny('Payment not recorded')
  const date = checkDay('date', input.date)
  const inv = await lockInvoice(trx, input.invoice)
  if (inv.kind === 'credit_note') throw conflict(`${label(inv)} is a credit note: it is not paid`, { data: { invoice: inv.id } })
  refuseInvoiceState(inv, 'pay', ['issued', 'partially_paid'], inv.state === 'draft' ? [`Issue it first: erp invoices issue ${inv.id}`] : [])
  const value = new Decimal(amount!)
  if (value.decimalPlaces() > inv.scale) {
    throw invalidData(`Payment not recorded: amount ${amount} has more decimals than the currency's ${inv.scale}`, { data: { amount } })
  }
  const due = new Decimal(inv.gross).minus(inv.paid)
  if (value.greaterThan(due)) {
    throw conflict(`Over-payment refused: ${label(inv)} has ${fixed(due, inv.scale)} due, ${fixed(value, inv.scale)} was offered`, {
      actions: [`Record at most ${fixed(due, inv.scale)}.`],
      data: { invoice: inv.id, number: inv.number, due: fixed(due, inv.scale), amount: fixed(value, inv.scale) },
    })
  }
  const [payment] = await queryRows<{ id: string }>(
    trx,
    `insert into payments (invoice_id, amount, method, paid_on, reference) values (?, ?, ?, coalesce(?::date, current_date), ?) returning id::text`,
    [inv.id, value.toFixed(), method, date, input.reference ?? null],
  )
  await trx.raw(
    `update invoices set paid = paid + ?::numeric,
            state = case when paid + ?::numeric = gross then 'paid' else 'partially_paid' end
      where id = ?`,
    [value.toFixed(), value.toFixed(), inv.id],
  )
  const invoice = await readInvoice(trx, inv.id)
  return { payment: invoice.payments.find((p) => p.id === payment.id)!, invoice }
}

// ---- lists and reports ----------------------------------------------------------------------

export interface ListInvoicesInput {
  state?: InvoiceState
  kind?: InvoiceKind
  customer?: string
  order?: string
  /** Issued or partially paid and past the due date (as of --as-of). */
  overdue?: boolean
  asOf?: string
  limit?: number
  before?: string
}

export interface InvoiceListItem extends Invoice {
  daysOverdue: number | null
}

export interface InvoicePage {
  items: InvoiceListItem[]
  nextCursor: string | null
}

export async function listInvoices(trx: Knex.Transaction, input: ListInvoicesInput = {}): Promise<InvoicePage> {
  const limit = input.limit ?? 50
  const problems = new Problems()
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.add('limit', 'must be from 1 to 1000')
  if (input.state !== undefined && !INVOICE_STATES.includes(input.state)) problems.add('state', `expected one of ${INVOICE_STATES.join(', ')}`)
  problems.throwIfAny('Invoices not listed')
  const asOf = checkDay('as-of', input.asOf)
  const before = input.before ?? null
  if (before !== null && !/^\d{1,18}$/.test(before)) throw usageError('--before takes an invoice id')
  const orderId = input.order === undefined ? null : parseOrderRef(input.order)
  const rows = await queryRows<InvoiceListItem>(
    trx,
    `select * from (${INVOICE_SELECT.replace('select i.id::text,', `select greatest(coalesce(?::date, current_date) - i.due_date, 0) as "daysOverdue", i.id::text,`)}
      where (?::text is null or i.state = ?) and (?::text is null or i.kind = ?) and (?::text is null or c.code = ?)
        and (?::bigint is null or i.order_id = ?::bigint)
        and (not ?::boolean or (i.kind = 'invoice' and i.state in ('issued', 'partially_paid') and i.due_date < coalesce(?::date, current_date)))
        and (?::bigint is null or i.id < ?::bigint)
      order by i.id desc limit ?) x`,
    [
      asOf, input.state ?? null, input.state ?? null, input.kind ?? null, input.kind ?? null, input.customer ?? null, input.customer ?? null,
      orderId, orderId, Boolean(input.overdue), asOf, before, before, limit + 1,
    ],
  )
  for (const r of rows) if (r.dueDate === null || r.state === 'paid' || r.state === 'void' || r.kind === 'credit_note') r.daysOverdue = null
  const more = rows.length > limit
  const items = more ? rows.slice(0, limit) : rows
  return { items, nextCursor: more ? items.at(-1)!.id : null }
}

export interface AgingRow {
  customer: string
  name: string
  currency: string
  d0_30: string
  d31_60: string
  d61_90: string
  d90_plus: string
  /** Issued return credit notes not yet settled against invoices: they lower the total. */
  credits: string
  total: string
}

export interface AgingReport {
  asOf: string
  basis: 'days since the invoice date'
  rows: AgingRow[]
  totals: Record<string, Omit<AgingRow, 'customer' | 'name' | 'currency'>>
}

/** Receivables per customer by age (days since the invoice date): 0-30, 31-60, 61-90, 90+. */
export async function agingReport(trx: Knex.Transaction, input: { asOf?: string; customer?: string } = {}): Promise<AgingReport> {
  const asOf = checkDay('as-of', input.asOf)
  const rows = await queryRows<AgingRow & { scale: number }>(
    trx,
    `with d as (select coalesce(?::date, current_date) as as_of),
     open as (
       select i.customer_id, i.currency, i.scale, d.as_of - i.issue_date as age,
              case when i.kind = 'invoice' then i.gross - i.paid else 0 end as due,
              case when i.kind = 'credit_note' then i.gross else 0 end as credit
         from invoices i, d
        where i.issue_date <= d.as_of
          and ((i.kind = 'invoice' and i.state in ('issued', 'partially_paid')) or (i.kind = 'credit_note' and i.reason = 'return'))
     )
     select c.code as customer, c.name, o.currency, max(o.scale) as scale,
            round(sum(due) filter (where age <= 30), max(o.scale))::text as d0_30,
            round(sum(due) filter (where age between 31 and 60), max(o.scale))::text as d31_60,
            round(sum(due) filter (where age between 61 and 90), max(o.scale))::text as d61_90,
            round(sum(due) filter (where age > 90), max(o.scale))::text as d90_plus,
            round(sum(credit), max(o.scale))::text as credits,
            round(sum(due) - sum(credit), max(o.scale))::text as total
       from open o join customers c on c.id = o.customer_id
      where (?::text is null or c.code = ?)
      group by c.code, c.name, o.currency
     having sum(due) <> 0 or sum(credit) <> 0
      order by c.code, o.currency`,
    [asOf, input.customer ?? null, input.customer ?? null],
  )
  const zero = (s: number) => fixed(new Decimal(0), s)
  const out: AgingRow[] = rows.map(({ scale, ...r }) => ({
    ...r, d0_30: r.d0_30 ?? zero(scale), d31_60: r.d31_60 ?? zero(scale), d61_90: r.d61_90 ?? zero(scale), d90_plus: r.d90_plus ?? zero(scale),
  }))
  const totals: AgingReport['totals'] = {}
  for (const r of out) {
    const t = (totals[r.currency] ??= { d0_30: '0', d31_60: '0', d61_90: '0', d90_plus: '0', credits: '0', total: '0' })
    const s = currencyScale(r.currency)
    for (const k of ['d0_30', 'd31_60', 'd61_90', 'd90_plus', 'credits', 'total'] as const) t[k] = fixed(new Decimal(t[k]).plus(r[k]), s)
  }
  const [{ day }] = await queryRows<{ day: string }>(trx, `select to_char(coalesce(?::date, current_date), 'YYYY-MM-DD') as day`, [asOf])
  return { asOf: day, basis: 'days since the invoice date', rows: out, totals }
}
