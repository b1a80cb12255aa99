import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { settleOrderState } from '../invoices/from-orders.js'
import type { InvoiceDetail } from '../invoices/invoice.js'
import { creditReturn } from '../invoices/void.js'
import { Decimal } from '../pricing/money.js'
import { moveDay } from '../stock/move-day.js'
import { postMoves, type MoveLine, type PostedMove } from '../stock/moves.js'
import { queryRows } from '../db/query-rows.js'
import { Problems, checkDecimal } from '../validation.js'
import type { LinePick } from './line-pick.js'
import { getOrder, lockOrder, orderReference, refuseState, type OrderDetail } from './orders.js'

export interface ReturnOrderInput {
  order: string | number
  /** Lines (number or SKU) and quantities coming back; everything shipped and not returned by default. */
  lines?: LinePick[]
  serials?: Array<{ sku: string; serial: string }>
  /** Where the goods go back; where they were shipped from by default. */
  to?: string
  /** The day the goods came back (YYYY-MM-DD, not before the order, not after today): the moves' day and the credit note's date. */
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
  const when = await moveDay(trx, input.date)
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'return goods of', ['partially_fulfilled', 'fulfilled', 'closed'])
  if (when && when.day < order.order_date) {
    throw invalidData(`Cannot take back goods of ${orderReference(order.id)} on ${when.day}: it was ordered on ${order.order_date}`, {
      actions: ['Check --date: goods come back on or after the order date'],
      data: { order: order.id, date: when.day, orderDate: order.order_date },
    })
  }
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
  const posted = await postMoves(trx, moves, { at: when?.at })

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
