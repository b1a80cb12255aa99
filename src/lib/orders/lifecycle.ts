import type { Knex } from 'knex'

import { distinct, failuresIn, throwIfFailed } from '../batch.js'
import { ErpError, ErrorKind, invalidData } from '../errors.js'
import { settleOrderState, settleOrderStates } from '../invoices/from-orders.js'
import type { InvoiceDetail } from '../invoices/invoice.js'
import { creditReturn } from '../invoices/void.js'
import { Decimal } from '../pricing/money.js'
import { fulfilMany, type FulfilInput, type FulfilLine } from '../stock/fulfil.js'
import { postMoves, type MoveLine, type PostedMove } from '../stock/moves.js'
import { release, reserveMany, type Reservation, type ReserveShortage } from '../stock/reservations.js'
import { queryRows } from '../db/query-rows.js'
import { Problems, checkDecimal } from '../validation.js'
import { getOrder, lockOrder, lockOrders, matchOrderLine, orderReference, parseOrderRef, refuseState, stateRefusal, type LockedOrder, type OrderDetail } from './orders.js'

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

export interface ConfirmOrdersInput {
  /** Order numbers (123 or SO-123); an order named twice is confirmed once. */
  orders: Array<string | number>
  /** As for one order: applies to every order of the batch the credit check would refuse. */
  override?: string
}

export interface ConfirmedOrder {
  order: string
  reference: string
  credit: CreditCheck
  /** What was reserved for each line. */
  reservations: Array<{ line: number; sku: string; location: string; lot: string | null; qty: string }>
}

export interface ConfirmOrdersResult {
  items: ConfirmedOrder[]
}

/**
 * Confirm a draft: the customer's credit (limit, overdue invoices past their payment terms) is
 * checked, then stock is reserved for every line or for none (the error names the lines short).
 */
export async function confirmOrder(trx: Knex.Transaction, input: ConfirmInput): Promise<ConfirmResult> {
  const { items: [item] } = await confirmOrders(trx, { orders: [input.order], override: input.override })
  return { order: await getOrder(trx, item.order), credit: item.credit }
}

/**
 * Confirm many drafts at once, all or nothing, in a few statements whatever their number: the
 * orders and their customers are locked in id order, credit is checked per customer with the
 * batch's earlier orders counted as open, and the stock for every line of every order is reserved
 * together (earlier orders first). The error names every order refused and why.
 */
export async function confirmOrders(trx: Knex.Transaction, input: ConfirmOrdersInput): Promise<ConfirmOrdersResult> {
  const { locked, failures } = await lockOrders(trx, input.orders)
  const keys = [...locked.map((o) => orderReference(o.id)), ...failures.map((f) => f.key)]
  const drafts = locked.filter((o) => {
    const refusal = stateRefusal(o, 'confirm', ['draft'])
    if (refusal) failures.push({ key: orderReference(o.id), error: refusal })
    return !refusal
  })
  const lines = await queryRows<{ order_id: string; line_no: number; product_id: string; sku: string; qty: string }>(
    trx,
    'select order_id::text, line_no, product_id::text, sku, qty::text from order_lines where order_id = any(?::bigint[]) order by order_id, line_no',
    [drafts.map((o) => o.id)],
  )
  const credits = await creditChecks(trx, drafts)
  const accepted = drafts.filter((o) => {
    const credit = credits.get(o.id)!
    if (credit.problems.length && !input.override) {
      failures.push({ key: orderReference(o.id), error: new ErpError(ErrorKind.NOT_ALLOWED, `${orderReference(o.id)} not confirmed: ${credit.problems.join('; ')}`, {
        actions: ['Collect payment first, or confirm anyway with --override "<reason>" (audited).'],
        data: { order: o.id, credit },
      }) })
      return false
    }
    credit.overridden = credit.problems.length > 0
    return true
  })

  const linesOf = new Map<string, typeof lines>()
  for (const l of lines) linesOf.set(orderReference(l.order_id), [...(linesOf.get(orderReference(l.order_id)) ?? []), l])
  const requests = accepted.map((o) => ({
    reference: orderReference(o.id),
    lines: (linesOf.get(orderReference(o.id)) ?? []).map((l) => ({ productId: l.product_id, qty: l.qty })),
  }))
  // The orders' own rows first: the stock rows other batches wait for are locked as late as possible
  // (a failure below rolls all of it back).
  await queryRows(
    trx,
    `update orders o set state = 'confirmed', confirmed_at = now(), updated_at = now(), credit_override = x.override
       from unnest(?::bigint[], ?::text[]) as x(id, override) where o.id = x.id`,
    [accepted.map((o) => o.id), accepted.map((o) => (credits.get(o.id)!.overridden ? (input.override ?? null) : null))],
  )
  let reserved: Reservation[] = []
  try {
    reserved = await reserveMany(trx, requests)
  } catch (err) {
    const data = err instanceof ErpError ? (err.data as { reference?: string; shortages?: Array<ReserveShortage & { reference?: string }> } | undefined) : undefined
    if (!data?.shortages) throw err
    for (const reference of new Set(data.shortages.map((s) => s.reference ?? data.reference!))) {
      const own = linesOf.get(reference)!
      const named = data.shortages.filter((s) => (s.reference ?? data.reference) === reference)
        .map(({ reference: _r, ...s }) => ({ ...s, line: own[s.line - 1].line_no, sku: own[s.line - 1].sku }))
      const id = parseOrderRef(reference)
      failures.push({ key: reference, error: new ErpError(ErrorKind.CONFLICT, `${reference} not confirmed, not enough stock: ${named.map((s) => `line ${s.line} ${s.sku} needs ${new Decimal(s.requested).toFixed()}, ${s.available} available`).join('; ')}`, {
        actions: ['Nothing was reserved. Receive stock (erp stock receive) or change the order, then confirm again.'],
        data: { order: id, shortages: named },
        cause: err,
      }) })
    }
  }
  throwIfFailed('orders', keys, failures)

  const madeFor = new Map<string, ConfirmedOrder['reservations']>()
  for (const r of reserved) {
    const own = linesOf.get(r.reference)!
    madeFor.set(r.reference, [...(madeFor.get(r.reference) ?? []), { line: own[r.line! - 1].line_no, sku: r.sku, location: r.location, lot: r.lot, qty: r.qty }])
  }
  return {
    items: accepted.map((o) => ({ order: o.id, reference: orderReference(o.id), credit: credits.get(o.id)!, reservations: madeFor.get(orderReference(o.id)) ?? [] })),
  }
}

/**
 * Confirms of one customer queue on its row, so two orders cannot both squeeze under the limit.
 * Customers are locked in id order; a batch's orders of one customer count the ones before them.
 */
async function creditChecks(trx: Knex.Transaction, orders: LockedOrder[]): Promise<Map<string, CreditCheck>> {
  const checks = new Map<string, CreditCheck>()
  if (orders.length === 0) return checks
  const customerIds = [...new Set(orders.map((o) => o.customer_id))]
  // Lock first, then read in a statement of its own: its snapshot sees what the previous holder committed.
  // NO KEY UPDATE: confirms queue on the customer, foreign-key checks of new invoices and orders do not.
  await queryRows(trx, 'select id from customers where id = any(?::bigint[]) order by id for no key update', [customerIds])
  const rows = await queryRows<{ id: string; credit_limit: string | null; receivable: string; open_orders: string; overdue: number }>(
    trx,
    `with r as (
       select customer_id, sum(gross - paid) as amount from invoices
        where customer_id = any(?::bigint[]) and kind = 'invoice' and state in ('draft', 'issued', 'partially_paid')
        group by customer_id
     ), o as (
       select o.customer_id, sum(l.gross * (l.qty - (l.qty_invoiced - l.qty_credited)) / l.qty) as amount
         from orders o join order_lines l on l.order_id = o.id
        where o.customer_id = any(?::bigint[]) and o.id <> all(?::bigint[]) and o.state in ('confirmed', 'partially_fulfilled', 'fulfilled')
        group by o.customer_id
     ), d as (
       select customer_id, count(*)::int as n from invoices
        where customer_id = any(?::bigint[]) and kind = 'invoice' and state in ('issued', 'partially_paid') and due_date < current_date
        group by customer_id
     )
     select c.id::text, c.credit_limit::text, coalesce(r.amount, 0)::text as receivable, coalesce(o.amount, 0)::text as open_orders,
            coalesce(d.n, 0) as overdue
       from customers c left join r on r.customer_id = c.id left join o on o.customer_id = c.id left join d on d.customer_id = c.id
      where c.id = any(?::bigint[])`,
    [customerIds, customerIds, orders.map((o) => o.id), customerIds, customerIds],
  )
  const exposure = new Map(rows.map((r) => [r.id, new Decimal(r.receivable).plus(r.open_orders).toDecimalPlaces(2)]))
  const customer = new Map(rows.map((r) => [r.id, r]))
  for (const o of orders) {
    const row = customer.get(o.customer_id)!
    const open = exposure.get(o.customer_id)!
    const problems: string[] = []
    if (row.credit_limit !== null && open.plus(o.gross).greaterThan(row.credit_limit)) {
      problems.push(`credit limit ${row.credit_limit} exceeded (open ${open.toFixed(2)} + this order ${new Decimal(o.gross).toFixed(2)})`)
    }
    if (row.overdue > 0) problems.push(`${row.overdue} invoice(s) overdue past the payment terms`)
    checks.set(o.id, { creditLimit: row.credit_limit, exposure: open.toFixed(2), orderGross: new Decimal(o.gross).toFixed(2), overdueInvoices: row.overdue, problems, overridden: false })
    exposure.set(o.customer_id, open.plus(o.gross))
  }
  return checks
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

export interface FulfilledOrder {
  order: string
  reference: string
  state: string
  moves: PostedMove[]
}

export interface FulfilOrdersResult {
  items: FulfilledOrder[]
}

/** Ship what is reserved: lot-tracked stock leaves first-expiry-first-out; serials must be named. */
export async function fulfilOrder(trx: Knex.Transaction, input: FulfilOrderInput): Promise<FulfilResult> {
  const { items: [item] } = await fulfilOrders(trx, [input])
  return { order: await getOrder(trx, item.order), moves: item.moves }
}

interface FulfilLineRow {
  id: string
  order_id: string
  line_no: number
  product_id: string
  sku: string
  tracking: string
  remaining: string
}

type ChosenLine = FulfilLineRow & { qty: string; serials?: string[] }

/**
 * Ship many orders at once, all or nothing, in a few statements whatever their number: their
 * reservations are consumed together and the outgoing moves posted as one batch; each order may
 * name its lines and serials as for one order. The error names every order that cannot ship.
 */
export async function fulfilOrders(trx: Knex.Transaction, inputs: FulfilOrderInput[]): Promise<FulfilOrdersResult> {
  const wanted = distinct(inputs, (i) => parseOrderRef(i.order))
  const { locked, failures } = await lockOrders(trx, wanted.map((i) => i.order))
  const keys = [...locked.map((o) => orderReference(o.id)), ...failures.map((f) => f.key)]
  const open = locked.filter((o) => {
    const refusal = stateRefusal(o, 'fulfil', ['confirmed', 'partially_fulfilled'])
    if (refusal) failures.push({ key: orderReference(o.id), error: refusal })
    return !refusal
  })
  const lines = await queryRows<FulfilLineRow>(
    trx,
    `select l.id::text, l.order_id::text, l.line_no, l.product_id::text, l.sku, p.tracking, (l.qty - l.qty_fulfilled)::text as remaining
       from order_lines l join products p on p.id = l.product_id where l.order_id = any(?::bigint[]) order by l.order_id, l.line_no`,
    [open.map((o) => o.id)],
  )
  const linesOf = new Map<string, FulfilLineRow[]>()
  for (const l of lines) linesOf.set(l.order_id, [...(linesOf.get(l.order_id) ?? []), l])
  const inputOf = new Map(wanted.map((i) => [parseOrderRef(i.order), i]))
  const chosen: ChosenLine[] = []
  const docs: FulfilInput[] = []
  for (const o of open) {
    try {
      const picked = pickFulfilLines(o.id, linesOf.get(o.id) ?? [], inputOf.get(o.id)!)
      chosen.push(...picked)
      docs.push({ reference: orderReference(o.id), lines: shipPerProduct(picked) })
    } catch (err) {
      if (!(err instanceof ErpError)) throw err
      failures.push({ key: orderReference(o.id), error: err })
    }
  }
  // The orders' own rows first: the stock rows other batches wait for are locked as late as possible
  // (a failure below rolls all of it back).
  await queryRows(
    trx,
    `update order_lines l set qty_fulfilled = l.qty_fulfilled + x.qty
       from unnest(?::bigint[], ?::numeric[]) as x(id, qty) where l.id = x.id`,
    [chosen.map((c) => c.id), chosen.map((c) => c.qty)],
  )
  const states = await settleOrderStates(trx, open.map((o) => o.id))
  let moves: PostedMove[] = []
  try {
    moves = await fulfilMany(trx, docs)
  } catch (err) {
    const stock = failuresIn(err, docs.map((d) => d.reference))
    if (!stock) throw err
    failures.push(...stock)
  }
  throwIfFailed('orders', keys, failures)

  const movesOf = new Map<string, PostedMove[]>()
  for (const m of moves) movesOf.set(m.reference!, [...(movesOf.get(m.reference!) ?? []), m])
  return {
    items: open.map((o) => ({ order: o.id, reference: orderReference(o.id), state: states.get(o.id)!, moves: movesOf.get(orderReference(o.id)) ?? [] })),
  }
}

/** The lines of one order to ship and how much of each: everything left by default. */
function pickFulfilLines(orderId: string, lines: FulfilLineRow[], input: FulfilOrderInput): ChosenLine[] {
  const problems = new Problems()
  const serialsBySku = new Map<string, string[]>()
  for (const s of input.serials ?? []) serialsBySku.set(s.sku, [...(serialsBySku.get(s.sku) ?? []), s.serial])
  const chosen: ChosenLine[] = []
  const wanted: LinePick[] = input.lines && input.lines.length ? input.lines : lines.filter((l) => new Decimal(l.remaining).greaterThan(0)).map((l) => ({ line: l.line_no }))
  wanted.forEach((w, i) => {
    const field = `lines[${i + 1}]`
    const line = matchOrderLine(problems, field, orderId, lines, w)
    if (!line) return
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
  problems.throwIfAny(`${orderReference(orderId)} not fulfilled`)
  return chosen
}

/** The stock service consumes the reservation per product: lines of one product are shipped together. */
function shipPerProduct(chosen: ChosenLine[]): FulfilLine[] {
  const perProduct = new Map<string, FulfilLine>()
  for (const c of chosen) {
    const prev = perProduct.get(c.product_id)
    perProduct.set(c.product_id, {
      productId: c.product_id,
      qty: prev ? new Decimal(prev.qty!).plus(c.qty).toFixed() : c.qty,
      serials: c.serials ? [...(prev?.serials ?? []), ...c.serials] : prev?.serials,
    })
  }
  return [...perProduct.values()]
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

