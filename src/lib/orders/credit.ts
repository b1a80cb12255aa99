import type { Knex } from 'knex'

import { Decimal, fixed } from '../pricing/money.js'
import { queryRows } from '../db/query-rows.js'
import type { LockedOrder } from './orders.js'

export interface CreditCheck {
  creditLimit: string | null
  /** Open receivables + open orders not yet invoiced, before this order. */
  exposure: string
  orderGross: string
  overdueInvoices: number
  problems: string[]
  overridden: boolean
}

/**
 * Confirms of one customer queue on its row, so two orders cannot both squeeze under the limit.
 * Customers are locked in id order; a batch's orders of one customer count the ones before them.
 */
export async function creditChecks(trx: Knex.Transaction, orders: LockedOrder[]): Promise<Map<string, CreditCheck>> {
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
  // Sums stay exact: what is compared and shown is rounded to the order's currency scale (0 for
  // JPY, 3 for KWD), never to 2 places, so an order that reaches the limit exactly is accepted.
  const exposure = new Map(rows.map((r) => [r.id, new Decimal(r.receivable).plus(r.open_orders)]))
  const customer = new Map(rows.map((r) => [r.id, r]))
  for (const o of orders) {
    const row = customer.get(o.customer_id)!
    const open = exposure.get(o.customer_id)!.toDecimalPlaces(o.scale)
    const gross = new Decimal(o.gross)
    const money = (d: Decimal) => fixed(d, Math.max(o.scale, d.decimalPlaces()))
    const problems: string[] = []
    if (row.credit_limit !== null && open.plus(gross).greaterThan(row.credit_limit)) {
      problems.push(`credit limit ${money(new Decimal(row.credit_limit))} exceeded (open ${money(open)} + this order ${money(gross)})`)
    }
    if (row.overdue > 0) problems.push(`${row.overdue} invoice(s) overdue past the payment terms`)
    checks.set(o.id, { creditLimit: row.credit_limit, exposure: money(open), orderGross: money(gross), overdueInvoices: row.overdue, problems, overridden: false })
    exposure.set(o.customer_id, open.plus(gross))
  }
  return checks
}
