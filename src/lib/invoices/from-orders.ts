import type { Knex } from 'knex'

import { distinct, throwIfFailed } from '../batch.js'
import { ErpError, conflict } from '../errors.js'
import { transactionNow } from '../db/clock.js'
import { lockOrders, matchOrderLine, orderReference, parseOrderRef, withOrderIds } from '../orders/orders.js'
import { Decimal, fixed } from '../pricing/money.js'
import { queryRows } from '../db/query-rows.js'
import { Problems, checkDecimal } from '../validation.js'
import { partOfLine } from './amounts.js'
import { insertDocuments, roundingMode, type DocumentHeader, type DocumentLine } from './drafts.js'

export interface InvoiceOrderLineInput {
  /** Order line number (1-based), or the SKU when the order has one line of it. */
  line?: number
  sku?: string
  qty?: string
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
export async function orderLineMoney(trx: Knex.Transaction, orderIds: string[]): Promise<OpenOrderLine[]> {
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

export async function invoiceOrder(trx: Knex.Transaction, ref: string | number, wanted?: InvoiceOrderLineInput[]): Promise<string> {
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
  const wanted = distinct(await withOrderIds(trx, inputs), (i) => parseOrderRef(i.order))
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
    const line = matchOrderLine(problems, field, orderId, lines, w)
    if (!line) return
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
              closed_at = case when s.state = 'closed' then coalesce(o.closed_at, ?::timestamptz) else null end
         from s
        where o.id = s.id and o.state in ('confirmed', 'partially_fulfilled', 'fulfilled', 'closed') and o.state <> s.state
       returning o.id
     )
     select s.id::text, s.state from s join orders o on o.id = s.id
      where o.state in ('confirmed', 'partially_fulfilled', 'fulfilled', 'closed')`,
    [orderIds, await transactionNow(trx)],
  )
  return new Map(rows.map((r) => [r.id, r.state]))
}
