import type { Knex } from 'knex'

import { distinct, failuresIn, throwIfFailed } from '../batch.js'
import { ErpError, invalidData } from '../errors.js'
import { settleOrderStates } from '../invoices/from-orders.js'
import { Decimal } from '../pricing/money.js'
import { fulfilMany, type FulfilInput, type FulfilLine } from '../stock/fulfil.js'
import type { PostedMove } from '../stock/moves.js'
import { queryRows } from '../db/query-rows.js'
import { moveDay } from '../stock/move-day.js'
import { Problems, checkDecimal } from '../validation.js'
import type { LinePick } from './line-pick.js'
import { getOrder, lockOrders, matchOrderLine, orderReference, parseOrderRef, stateRefusal, withOrderIds, type LockedOrder, type OrderDetail } from './orders.js'

export interface FulfilOrderInput {
  order: string | number
  /** Only these lines (line number or SKU), whole remaining quantity unless qty is given. */
  lines?: LinePick[]
  /** Serial numbers shipped, per SKU (serial-tracked products need them). */
  serials?: Array<{ sku: string; serial: string }>
}

export interface FulfilOrdersOptions {
  /** The day the goods left, for a late entry (YYYY-MM-DD): not before the order's date, not after today. */
  date?: string
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
export async function fulfilOrder(trx: Knex.Transaction, input: FulfilOrderInput, options: FulfilOrdersOptions = {}): Promise<FulfilResult> {
  const { items: [item] } = await fulfilOrders(trx, [input], options)
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
export async function fulfilOrders(trx: Knex.Transaction, inputs: FulfilOrderInput[], options: FulfilOrdersOptions = {}): Promise<FulfilOrdersResult> {
  const when = await moveDay(trx, options.date)
  const wanted = distinct(await withOrderIds(trx, inputs), (i) => parseOrderRef(i.order))
  const { locked, failures } = await lockOrders(trx, wanted.map((i) => i.order))
  const keys = [...locked.map((o) => orderReference(o.id)), ...failures.map((f) => f.key)]
  const open = locked.filter((o) => {
    const refusal = stateRefusal(o, 'fulfil', ['confirmed', 'partially_fulfilled']) ?? (when && beforeOrder(o, when.day))
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
    moves = await fulfilMany(trx, docs, { at: when?.at })
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

/** A shipment dated before its order was placed: refused (the order is named, so a batch can skip it). */
function beforeOrder(order: LockedOrder, day: string): ErpError | null {
  if (day >= order.order_date) return null
  return invalidData(`Cannot ship ${orderReference(order.id)} on ${day}: it was ordered on ${order.order_date}`, {
    actions: ['Check --date: goods leave on or after the order date'],
    data: { order: order.id, date: day, orderDate: order.order_date },
  })
}
