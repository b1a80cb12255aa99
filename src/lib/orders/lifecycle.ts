import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../cli/errors.js'
import { creditReturn, settleOrderState, type InvoiceDetail } from '../invoices/invoices.js'
import { Decimal } from '../pricing/money.js'
import { fulfilReservations, type FulfilLine } from '../stock/fulfil.js'
import { postMoves, type MoveLine, type PostedMove } from '../stock/moves.js'
import { release, reserve, type ReserveShortage } from '../stock/reservations.js'
import { queryRows } from '../stock/sql.js'
import { Problems, checkDecimal } from '../validation.js'
import { getOrder, lockOrder, orderReference, refuseState, type OrderDetail } from './orders.js'

/**
 * The order's state changes. Each locks the order row first, so two operators acting on one
 * order queue; stock work goes through the stock services in the same transaction.
 */

// ---- confirm --------------------------------------------------------------------------------

export interface ConfirmInput {
  order: string | number
  /** Confirm although the credit limit or overdue invoices would refuse it; the reason is kept on the order. */
  override?: string
}

export interface CreditCheck {
  creditLimit: string | null
  /** Open receivables + open orders not yet invoiced, before this order. */
  exposure: string
  orderGross: string
  overdueInvoices: number
  problems: string[]
  overridden: boolean
}

export interface ConfirmResult {
  order: OrderDetail
  credit: CreditCheck
}

/**
 * Confirm a draft: the customer's credit (limit, overdue invoices past their payment terms) is
 * checked, then stock is reserved for every line or for none (the error names the lines short).
 */
export async function confirmOrder(trx: Knex.Transaction, input: ConfirmInput): Promise<ConfirmResult> {
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'confirm', ['draft'])
  const credit = await creditCheck(trx, order.id, order.customer_id, order.gross)
  if (credit.problems.length && !input.override) {
    throw new ErpError(ErrorKind.NOT_ALLOWED, `${orderReference(order.id)} not confirmed: ${credit.problems.join('; ')}`, {
      actions: ['Collect payment first, or confirm anyway with --override "<reason>" (audited).'],
      data: { order: order.id, credit },
    })
  }
  credit.overridden = credit.problems.length > 0
  const lines = await queryRows<{ line_no: number; product_id: string; sku: string; qty: string }>(
    trx, 'select line_no, product_id::text, sku, qty::text from order_lines where order_id = ? order by line_no', [order.id],
  )
  try {
    await reserve(trx, { reference: orderReference(order.id), lines: lines.map((l) => ({ productId: l.product_id, qty: l.qty })) })
  } catch (err) {
    const shortages = err instanceof ErpError ? (err.data as { shortages?: ReserveShortage[] } | undefined)?.shortages : undefined
    if (shortages) {
      const named = shortages.map((s) => ({ ...s, line: lines[s.line - 1].line_no, sku: lines[s.line - 1].sku }))
      throw new ErpError(ErrorKind.CONFLICT, `${orderReference(order.id)} not confirmed, not enough stock: ${named.map((s) => `line ${s.line} ${s.sku} needs ${new Decimal(s.requested).toFixed()}, ${s.available} available`).join('; ')}`, {
        actions: ['Nothing was reserved. Receive stock (erp stock receive) or change the order, then confirm again.'],
        data: { order: order.id, shortages: named },
        cause: err,
      })
    }
    throw err
  }
  await trx.raw(
    `update orders set state = 'confirmed', confirmed_at = now(), updated_at = now(), credit_override = ? where id = ?`,
    [credit.overridden ? (input.override ?? null) : null, order.id],
  )
  return { order: await getOrder(trx, order.id), credit }
}

/** Confirms of one customer queue on its row, so two orders cannot both squeeze under the limit. */
async function creditCheck(trx: Knex.Transaction, orderId: string, customerId: string, gross: string): Promise<CreditCheck> {
  // Lock first, then read in a statement of its own: its snapshot sees what the previous holder committed.
  await trx.raw('select id from customers where id = ? for update', [customerId])
  const [row] = await queryRows<{ credit_limit: string | null; receivable: string; open_orders: string; overdue: number }>(
    trx,
    `select c.credit_limit::text,
            (select coalesce(sum(i.gross - i.paid), 0) from invoices i
              where i.customer_id = c.id and i.kind = 'invoice' and i.state in ('draft', 'issued', 'partially_paid'))::text as receivable,
            (select coalesce(sum(l.gross * (l.qty - (l.qty_invoiced - l.qty_credited)) / l.qty), 0)
               from orders o join order_lines l on l.order_id = o.id
              where o.customer_id = c.id and o.id <> ? and o.state in ('confirmed', 'partially_fulfilled', 'fulfilled'))::text as open_orders,
            (select count(*)::int from invoices i
              where i.customer_id = c.id and i.kind = 'invoice' and i.state in ('issued', 'partially_paid') and i.due_date < current_date) as overdue
       from customers c where c.id = ?`,
    [orderId, customerId],
  )
  const exposure = new Decimal(row.receivable).plus(row.open_orders).toDecimalPlaces(2)
  const problems: string[] = []
  if (row.credit_limit !== null && exposure.plus(gross).greaterThan(row.credit_limit)) {
    problems.push(`credit limit ${row.credit_limit} exceeded (open ${exposure.toFixed(2)} + this order ${new Decimal(gross).toFixed(2)})`)
  }
  if (row.overdue > 0) problems.push(`${row.overdue} invoice(s) overdue past the payment terms`)
  return { creditLimit: row.credit_limit, exposure: exposure.toFixed(2), orderGross: new Decimal(gross).toFixed(2), overdueInvoices: row.overdue, problems, overridden: false }
}

// ---- fulfil ---------------------------------------------------------------------------------

export interface LinePick {
  line?: number
  sku?: string
  qty?: string
}

export interface FulfilOrderInput {
  order: string | number
  /** Only these lines (line number or SKU), whole remaining quantity unless qty is given. */
  lines?: LinePick[]
  /** Serial numbers shipped, per SKU (serial-tracked products need them). */
  serials?: Array<{ sku: string; serial: string }>
}

export interface FulfilResult {
  order: OrderDetail
  moves: PostedMove[]
}

/** Ship what is reserved: lot-tracked stock leaves first-expiry-first-out; serials must be named. */
export async function fulfilOrder(trx: Knex.Transaction, input: FulfilOrderInput): Promise<FulfilResult> {
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'fulfil', ['confirmed', 'partially_fulfilled'])
  const lines = await queryRows<{ id: string; line_no: number; product_id: string; sku: string; tracking: string; remaining: string }>(
    trx,
    `select l.id::text, l.line_no, l.product_id::text, l.sku, p.tracking, (l.qty - l.qty_fulfilled)::text as remaining
       from order_lines l join products p on p.id = l.product_id where l.order_id = ? order by l.line_no`,
    [order.id],
  )
  const problems = new Problems()
  const serialsBySku = new Map<string, string[]>()
  for (const s of input.serials ?? []) serialsBySku.set(s.sku, [...(serialsBySku.get(s.sku) ?? []), s.serial])
  const chosen: Array<{ id: string; line_no: number; product_id: string; sku: string; tracking: string; qty: string; serials?: string[] }> = []
  const wanted: LinePick[] = input.lines && input.lines.length ? input.lines : lines.filter((l) => new Decimal(l.remaining).greaterThan(0)).map((l) => ({ line: l.line_no }))
  wanted.forEach((w, i) => {
    const field = `lines[${i + 1}]`
    const matches = lines.filter((l) => (w.line !== undefined ? l.line_no === w.line : l.sku === w.sku))
    if (matches.length !== 1) {
      problems.add(field, matches.length === 0 ? `${orderReference(order.id)} has no line ${w.line ?? w.sku}` : `${w.sku} is on several lines: name the line number`)
      return
    }
    const line = matches[0]
    if (chosen.some((c) => c.id === line.id)) return problems.add(field, `line ${line.line_no} is named twice`)
    let qty = w.qty === undefined ? line.remaining : checkDecimal(problems, `${field}.qty`, w.qty, { precision: 18, scale: 4, nonNegative: true })
    if (qty === undefined) return
    let serials: string[] | undefined
    if (line.tracking === 'serial') {
      serials = serialsBySku.get(line.sku) ?? []
      serialsBySku.delete(line.sku)
      if (serials.length === 0) return problems.add(field, `line ${line.line_no} (${line.sku}) is serial-tracked: name the units with --serial ${line.sku}:<serial>`)
      if (w.qty !== undefined && !new Decimal(w.qty).equals(serials.length)) return problems.add(field, `line ${line.line_no} (${line.sku}): ${w.qty} to ship but ${serials.length} serial(s) named`)
      qty = String(serials.length)
    }
    if (new Decimal(qty).lessThanOrEqualTo(0)) return problems.add(field, `line ${line.line_no} (${line.sku}): nothing left to ship`)
    if (new Decimal(qty).greaterThan(line.remaining)) {
      return problems.add(field, `line ${line.line_no} (${line.sku}): ${new Decimal(qty).toFixed()} asked, ${new Decimal(line.remaining).toFixed()} left to ship`)
    }
    chosen.push({ ...line, qty: new Decimal(qty).toFixed(), serials })
  })
  for (const sku of serialsBySku.keys()) problems.add('serials', `${sku} is not a serial-tracked line being shipped`)
  problems.throwIfAny(`${orderReference(order.id)} not fulfilled`)

  // The stock service consumes the reservation per product: lines of one product are shipped together.
  const perProduct = new Map<string, FulfilLine>()
  for (const c of chosen) {
    const prev = perProduct.get(c.product_id)
    perProduct.set(c.product_id, {
      productId: c.product_id,
      qty: prev ? new Decimal(prev.qty!).plus(c.qty).toFixed() : c.qty,
      serials: c.serials ? [...(prev?.serials ?? []), ...c.serials] : prev?.serials,
    })
  }
  const moves = await fulfilReservations(trx, { reference: orderReference(order.id), lines: [...perProduct.values()] })
  await trx.raw(
    `update order_lines l set qty_fulfilled = l.qty_fulfilled + x.qty
       from jsonb_to_recordset(?::jsonb) as x(id bigint, qty numeric) where l.id = x.id`,
    [JSON.stringify(chosen.map((c) => ({ id: c.id, qty: c.qty })))],
  )
  await settleOrderState(trx, order.id)
  return { order: await getOrder(trx, order.id), moves }
}

// ---- cancel ---------------------------------------------------------------------------------

export interface CancelResult {
  order: OrderDetail
  released: Array<{ sku: string; location: string; lot: string | null; qty: string }>
}

/** Cancel a draft or a confirmed order that shipped nothing; its reservations are released. */
export async function cancelOrder(trx: Knex.Transaction, input: { order: string | number }): Promise<CancelResult> {
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'cancel', ['draft', 'confirmed'])
  const released = await release(trx, { reference: orderReference(order.id) })
  await trx.raw(`update orders set state = 'cancelled', cancelled_at = now(), updated_at = now() where id = ?`, [order.id])
  return {
    order: await getOrder(trx, order.id),
    released: released.map((r) => ({ sku: r.sku, location: r.location, lot: r.lot, qty: r.qty })),
  }
}

// ---- return ---------------------------------------------------------------------------------

export interface ReturnOrderInput {
  order: string | number
  /** Lines (number or SKU) and quantities coming back; everything shipped and not returned by default. */
  lines?: LinePick[]
  serials?: Array<{ sku: string; serial: string }>
  /** Where the goods go back; where they were shipped from by default. */
  to?: string
  date?: string
}

export interface ReturnResult {
  order: OrderDetail
  moves: PostedMove[]
  /** The credit note for what was invoiced and came back (null when nothing returned was invoiced). */
  creditNote: InvoiceDetail | null
}

/**
 * Take goods back: moves from the customer to where they were shipped from (same lots), the
 * returned quantities counted on the order, and a credit note issued for what had been invoiced.
 */
export async function returnOrder(trx: Knex.Transaction, input: ReturnOrderInput): Promise<ReturnResult> {
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'return goods of', ['partially_fulfilled', 'fulfilled', 'closed'])
  const reference = orderReference(order.id)
  const lines = await queryRows<{ id: string; line_no: number; product_id: string; sku: string; tracking: string; returnable: string; qty_invoiced: string; qty_credited: string; qty_fulfilled: string; qty_returned: string }>(
    trx,
    `select l.id::text, l.line_no, l.product_id::text, l.sku, p.tracking, (l.qty_fulfilled - l.qty_returned)::text as returnable,
            l.qty_invoiced::text, l.qty_credited::text, l.qty_fulfilled::text, l.qty_returned::text
       from order_lines l join products p on p.id = l.product_id where l.order_id = ? order by l.line_no`,
    [order.id],
  )
  const problems = new Problems()
  const serialsBySku = new Map<string, string[]>()
  for (const s of input.serials ?? []) serialsBySku.set(s.sku, [...(serialsBySku.get(s.sku) ?? []), s.serial])
  const wanted: LinePick[] = input.lines && input.lines.length ? input.lines : lines.filter((l) => new Decimal(l.returnable).greaterThan(0)).map((l) => ({ line: l.line_no }))
  const chosen: Array<(typeof lines)[number] & { qty: string; serials?: string[] }> = []
  wanted.forEach((w, i) => {
    const field = `lines[${i + 1}]`
    const matches = lines.filter((l) => (w.line !== undefined ? l.line_no === w.line : l.sku === w.sku))
    if (matches.length !== 1) {
      problems.add(field, matches.length === 0 ? `${reference} has no line ${w.line ?? w.sku}` : `${w.sku} is on several lines: name the line number`)
      return
    }
    const line = matches[0]
    let qty = w.qty === undefined ? line.returnable : checkDecimal(problems, `${field}.qty`, w.qty, { precision: 18, scale: 4, nonNegative: true })
    if (qty === undefined) return
    let serials: string[] | undefined
    if (line.tracking === 'serial') {
      serials = serialsBySku.get(line.sku) ?? []
      serialsBySku.delete(line.sku)
      if (serials.length === 0) return problems.add(field, `line ${line.line_no} (${line.sku}) is serial-tracked: name the units coming back with --serial`)
      qty = String(serials.length)
    }
    if (new Decimal(qty).lessThanOrEqualTo(0)) return problems.add(field, `line ${line.line_no} (${line.sku}): nothing shipped is left to return`)
    if (new Decimal(qty).greaterThan(line.returnable)) {
      return problems.add(field, `line ${line.line_no} (${line.sku}): ${new Decimal(qty).toFixed()} to return, only ${new Decimal(line.returnable).toFixed()} shipped and not returned`)
    }
    chosen.push({ ...line, qty: new Decimal(qty).toFixed(), serials })
  })
  for (const sku of serialsBySku.keys()) problems.add('serials', `${sku} is not a serial-tracked line being returned`)
  problems.throwIfAny(`Return of ${reference} not recorded`)

  // Where each product went out from (location, lot), net of earlier returns: newest shipments first.
  const sources = await queryRows<{ product_id: string; location: string; lot: string | null; qty: string }>(
    trx,
    `select m.product_id::text, l.full_code as location, lo.code as lot,
            (sum(m.qty) filter (where m.reason = 'shipment' and m.from_location_id = l.id)
             - coalesce(sum(m.qty) filter (where m.reason = 'return' and m.to_location_id = l.id), 0))::text as qty
       from stock_moves m
       join locations l on l.id in (m.from_location_id, m.to_location_id) and l.kind = 'internal'
       left join lots lo on lo.id = m.lot_id
      where m.reference = ? and m.reason in ('shipment', 'return')
      group by m.product_id, l.full_code, lo.code
      order by max(m.id) desc`,
    [reference],
  )
  const moves: MoveLine[] = []
  for (const c of chosen) {
    const base = { productId: c.product_id, from: 'customer', reason: 'return' as const, reference }
    if (c.serials) {
      const from = sources.find((s) => s.product_id === c.product_id)
      moves.push({ ...base, to: input.to ?? from?.location ?? 'customer', qty: c.qty, serials: c.serials })
      continue
    }
    let left = new Decimal(c.qty)
    for (const s of sources.filter((x) => x.product_id === c.product_id && new Decimal(x.qty).greaterThan(0))) {
      if (left.isZero()) break
      const take = Decimal.min(left, s.qty)
      s.qty = new Decimal(s.qty).minus(take).toFixed()
      left = left.minus(take)
      moves.push({ ...base, to: input.to ?? s.location, qty: take.toFixed(), lot: s.lot ?? undefined })
    }
    if (left.greaterThan(0)) throw invalidData(`${reference} line ${c.line_no} (${c.sku}): the shipments on the ledger do not cover ${c.qty} to return`)
  }
  const posted = await postMoves(trx, moves)

  // Credit what was invoiced beyond what the customer now keeps.
  const credit = chosen.flatMap((c) => {
    const keeps = new Decimal(c.qty_fulfilled).minus(c.qty_returned).minus(c.qty)
    const billed = new Decimal(c.qty_invoiced).minus(c.qty_credited)
    const over = billed.minus(keeps)
    return over.greaterThan(0) ? [{ orderLineId: c.id, qty: over.toFixed() }] : []
  })
  const creditNote = await creditReturn(trx, order.id, credit, input.date ?? null)
  // Returned and credited are counted in one statement: the CHECK that an order line is never
  // invoiced beyond what the customer keeps holds after it.
  const creditOf = new Map(credit.map((c) => [c.orderLineId, c.qty]))
  await trx.raw(
    `update order_lines l set qty_returned = l.qty_returned + x.qty, qty_credited = l.qty_credited + x.credited
       from jsonb_to_recordset(?::jsonb) as x(id bigint, qty numeric, credited numeric) where l.id = x.id`,
    [JSON.stringify(chosen.map((c) => ({ id: c.id, qty: c.qty, credited: creditOf.get(c.id) ?? '0' })))],
  )
  await settleOrderState(trx, order.id)
  return { order: await getOrder(trx, order.id), moves: posted, creditNote }
}

