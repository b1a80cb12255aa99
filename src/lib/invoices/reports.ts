import type { Knex } from 'knex'

import { usageError } from '../errors.js'
import { resolveOrderRefs } from '../orders/orders.js'
import { Decimal, currencyScale, fixed } from '../pricing/money.js'
import { queryRows } from '../db/query-rows.js'
import { Problems } from '../validation.js'
import { STANDING_AS_OF } from './as-of.js'
import { INVOICE_SELECT, INVOICE_STATES, checkDay, type Invoice, type InvoiceKind, type InvoiceState } from './invoice.js'

export interface ListInvoicesInput {
  state?: InvoiceState
  kind?: InvoiceKind
  customer?: string
  order?: string
  /**
   * Unpaid and past the due date on the as-of day (today by default), by what stood then (as-of.ts):
   * the items show their state, paid and due as of that day.
   */
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

const AS_OF_COLUMNS = 's.state as "stateAsOf", round(s.paid, i.scale)::text as "paidAsOf", round(s.due, i.scale)::text as "dueAsOf", '

export async function listInvoices(trx: Knex.Transaction, input: ListInvoicesInput = {}): Promise<InvoicePage> {
  const limit = input.limit ?? 50
  const problems = new Problems()
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.add('limit', 'must be from 1 to 1000')
  if (input.state !== undefined && !INVOICE_STATES.includes(input.state)) problems.add('state', `expected one of ${INVOICE_STATES.join(', ')}`)
  problems.throwIfAny('Invoices not listed')
  const asOf = checkDay('as-of', input.asOf)
  const before = input.before ?? null
  if (before !== null && !/^\d{1,18}$/.test(before)) throw usageError('--before takes an invoice id')
  const orderId = input.order === undefined ? null : (await resolveOrderRefs(trx, [input.order]))[0]
  // --overdue looks at each invoice as it stood on the as-of day (as-of.ts), and shows it so.
  const overdue = Boolean(input.overdue)
  const rows = await queryRows<InvoiceListItem & Partial<Record<'stateAsOf' | 'paidAsOf' | 'dueAsOf', string>>>(
    trx,
    `with d as (select coalesce(?::date, current_date) as as_of)${overdue ? `, ${STANDING_AS_OF}` : ''}
     select * from (${INVOICE_SELECT.replace('select i.id::text,', `select greatest(d.as_of - i.due_date, 0) as "daysOverdue", ${overdue ? AS_OF_COLUMNS : ''}i.id::text,`)}
        cross join d ${overdue ? 'join standing s on s.id = i.id' : ''}
      where (?::text is null or ${overdue ? 's.state' : 'i.state'} = ?) and (?::text is null or i.kind = ?) and (?::text is null or c.code = ?)
        and (?::bigint is null or i.order_id = ?::bigint)
        ${overdue ? 'and s.due > 0 and i.due_date < d.as_of' : ''}
        and (?::bigint is null or i.id < ?::bigint)
      order by i.id desc limit ?) x`,
    [
      asOf, input.state ?? null, input.state ?? null, input.kind ?? null, input.kind ?? null, input.customer ?? null, input.customer ?? null,
      orderId, orderId, before, before, limit + 1,
    ],
  )
  for (const r of rows) {
    if (r.stateAsOf !== undefined) Object.assign(r, { state: r.stateAsOf, paid: r.paidAsOf, due: r.dueAsOf })
    delete r.stateAsOf
    delete r.paidAsOf
    delete r.dueAsOf
    if (r.dueDate === null || r.state === 'paid' || r.state === 'void' || r.kind === 'credit_note') r.daysOverdue = null
  }
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

/**
 * Receivables per customer by age (days since the invoice date): 0-30, 31-60, 61-90, 90+, as they
 * stood at the end of the as-of day (as-of.ts: payments and voids count from their own dates).
 */
export async function agingReport(trx: Knex.Transaction, input: { asOf?: string; customer?: string } = {}): Promise<AgingReport> {
  const asOf = checkDay('as-of', input.asOf)
  const rows = await queryRows<AgingRow & { scale: number }>(
    trx,
    `with d as (select coalesce(?::date, current_date) as as_of), ${STANDING_AS_OF},
     open as (
       select i.customer_id, i.currency, i.scale, d.as_of - i.issue_date as age, s.due, 0 as credit
         from standing s join invoices i on i.id = s.id cross join d
        where s.due <> 0
       union all
       select i.customer_id, i.currency, i.scale, d.as_of - i.issue_date, 0, i.gross
         from invoices i, d
        where i.kind = 'credit_note' and i.reason = 'return' and i.issue_date <= d.as_of
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
