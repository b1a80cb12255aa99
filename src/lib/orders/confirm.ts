import type { Knex } from 'knex'

import { throwIfFailed } from '../batch.js'
import { ErpError, ErrorKind } from '../errors.js'
import { Decimal } from '../pricing/money.js'
import { reserveMany, type Reservation, type ReserveShortage } from '../stock/reservations.js'
import { queryRows } from '../db/query-rows.js'
import { creditChecks, type CreditCheck } from './credit.js'
import { getOrder, lockOrders, orderReference, parseOrderRef, stateRefusal, type OrderDetail } from './orders.js'

export type { CreditCheck } from './credit.js'

export interface ConfirmInput {
  order: string | number
  /** Confirm although the credit limit or overdue invoices would refuse it; the reason is kept on the order. */
  override?: string
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
