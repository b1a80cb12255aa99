import { queryRows } from '../db/query-rows.js'
import { EXTERNAL_REF_PREFIX, checkExternalRef, externalRefOf } from '../orders/orders.js'
import { checkDate, checkDecimal, checkText, type Problems } from '../validation.js'
import { guardFormulaSql, rememberValid, type EntitySpec, type FieldSpec, type MergeCounts } from './spec.js'

/**
 * Payments received, one row each, as `erp invoices pay` records them, set-based: the invoice by
 * its number (INV-2026-000123) or as ext:REF, the one invoice of the order with that external
 * reference; amount (more than zero, at most the currency's digits), method (bank, card…), date
 * (not before the invoice was issued, not after today unless allowFutureDate; today when blank) and an optional
 * reference. Payments of one invoice add up in file order and never exceed what is due. The
 * invoices are locked (in id order) from the checks to the commit. New payments only.
 */
const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const FIELDS: FieldSpec[] = [
  {
    key: 'invoice',
    aliases: ['invoice number', 'number', 'invoice no'],
    text: true,
    check: (p, v) => {
      const external = externalRefOf(v.trim())
      if (external !== undefined) return checkExternalRef(p, 'invoice', external) === undefined ? undefined : v.trim()
      return checkText(p, 'invoice', v, 100)
    },
  },
  {
    key: 'amount',
    required: () => true,
    check: (p, v) => {
      const amount = checkDecimal(p, 'amount', v, { precision: 14, scale: 4, nonNegative: true })
      if (amount !== undefined && /^[0.]+$/.test(amount)) {
        p.add('amount', 'must be more than zero')
        return undefined
      }
      return amount
    },
  },
  {
    key: 'method',
    aliases: ['payment method'],
    required: () => true,
    check: rememberValid((p, v) => {
      const method = v.trim().toLowerCase()
      if (/^[a-z][a-z0-9_-]{0,31}$/.test(method)) return method
      p.add('method', `"${v}" is not a payment method: a word such as bank, card, cash, cheque`)
      return undefined
    }),
  },
  { key: 'date', aliases: ['paid on', 'payment date'], check: rememberValid(blankIsNull((p, v) => checkDate(p, 'date', v))) },
  { key: 'reference', aliases: ['payment reference', 'bank reference'], text: true, check: blankIsNull((p, v) => checkText(p, 'reference', v, 200)) },
]

export interface PaymentImportOptions {
  /** Accept payment dates after today (refused by default, as a likely typo), as `invoices pay --allow-future-date`. */
  allowFutureDate?: boolean
}

export const paymentsSpec: EntitySpec<PaymentImportOptions> = {
  entity: 'payments',
  key: 'invoice',

  async fields() {
    return FIELDS
  },

  async validate({ trx, columns, rows, errors, staging, trace }, options) {
    const c = (key: string) => (columns.has(key) ? `s.${columns.get(key)!}` : 'null')
    const [{ today }] = await queryRows<{ today: string }>(trx, `select to_char(current_date, 'YYYY-MM-DD') as today`)
    const prefix = EXTERNAL_REF_PREFIX.length
    const isExternal = `lower(left(${c('invoice')}, ${prefix})) = '${EXTERNAL_REF_PREFIX}'`
    // The invoices the file names, locked in id order before anything is read of them.
    await trx.raw(`select i.id from invoices i
      where i.number in (select ${c('invoice')} from ${rows} s)
         or i.order_id in (select o.id from orders o join ${rows} s on ${isExternal} and o.external_ref = btrim(substr(${c('invoice')}, ${prefix + 1})))
      order by i.id for update`)
    const keyed = await staging.create('payment_rows', `as
      select s.line, ${c('invoice')} as given, ${c('amount')}::numeric as amount, ${c('method')} as method,
             coalesce(${c('date')}::date, '${today}'::date) as paid_on, ${c('reference')} as reference,
             coalesce(byno.id, byref.id) as invoice_id, coalesce(byref.n, 0) as matches, o.id as order_id
        from ${rows} s
        left join invoices byno on not ${isExternal} and byno.number = ${c('invoice')}
        left join orders o on ${isExternal} and o.external_ref = btrim(substr(${c('invoice')}, ${prefix + 1}))
        left join lateral (select min(i.id) as id, count(*)::int as n from invoices i
                            where i.order_id = o.id and i.kind = 'invoice' and i.state <> 'void') byref on o.id is not null`)
    const checked = await staging.create('payment_checks', `as
      select k.*, i.number, i.kind, i.state, i.scale, to_char(i.issue_date, 'YYYY-MM-DD') as issue_date, i.gross - i.paid as due,
             sum(k.amount) over (partition by k.invoice_id order by k.line) as running
        from ${keyed} k left join invoices i on i.id = k.invoice_id`)
    trace('payments matched')
    await trx.raw(`insert into ${errors} (line, field, value, message)
      select line, field, value, message from (
        select k.line, v.field::text as field, v.value::text as value, v.message::text as message
          from ${checked} k
          cross join lateral (values
            ('invoice', k.given, case
               when k.order_id is null and k.invoice_id is null and lower(left(k.given, ${prefix})) = '${EXTERNAL_REF_PREFIX}'
                 then 'no order with this external reference (see erp orders list --external-ref)'
               when k.invoice_id is null and k.order_id is not null then 'the order has no invoice yet (erp invoices create --order)'
               when k.invoice_id is null then 'no invoice with this number (see erp invoices list)'
               when k.matches > 1 then format('the order has %s invoices: give the invoice number', k.matches)
               when k.kind = 'credit_note' then 'a credit note is not paid'
               when k.state = 'draft' then 'the invoice is a draft: issue it first (erp invoices issue)'
               when k.state not in ('issued', 'partially_paid') then format('the invoice is %s', replace(k.state, '_', ' ')) end),
            ('amount', k.amount::text, case
               when k.invoice_id is not null and k.amount <> round(k.amount, k.scale) then format('more decimals than the currency''s %s', k.scale)
               when k.state in ('issued', 'partially_paid') and k.running > k.due then
                 format('over-payment: %s is due on %s, the file pays %s by this row', round(k.due, k.scale), k.number, round(k.running, k.scale)) end),
            ('date', k.paid_on::text, case
               when k.issue_date is not null and k.paid_on::text < k.issue_date then format('before the invoice was issued on %s', k.issue_date)
               when k.paid_on > '${today}'::date and not ${options.allowFutureDate === true}
                 then format('in the future (today is %s; --allow-future-date takes it)', '${today}') end)
          ) as v(field, value, message)
         where v.message is not null) x`)
  },

  async merge({ trx, dryRun, staging }) {
    const checked = staging.table('payment_checks')
    if (dryRun) {
      const [{ n }] = await queryRows<{ n: number }>(trx, `select count(*)::int as n from ${checked}`)
      return { inserted: n, updated: 0 } satisfies MergeCounts
    }
    const inserted = await trx.raw(`insert into payments (invoice_id, amount, method, paid_on, reference)
      select invoice_id, amount, method, paid_on, reference from ${checked} order by line`)
    const updated = await trx.raw(`update invoices i set paid = i.paid + x.amount,
             state = case when i.paid + x.amount = i.gross then 'paid' else 'partially_paid' end
        from (select invoice_id, sum(amount) as amount from ${checked} group by invoice_id) x
       where i.id = x.invoice_id`)
    return { inserted: inserted.rowCount ?? 0, updated: 0, extra: { invoicesPaid: updated.rowCount ?? 0 } } satisfies MergeCounts
  },
}

/** Payments in the import's format, in the order they were recorded (by invoice number; drafts have none). */
export function exportPaymentsSql(): string {
  return `copy (
    select ${guardFormulaSql('i.number')} as invoice, trim_scale(p.amount) as amount, p.method,
           to_char(p.paid_on, 'YYYY-MM-DD') as date, ${guardFormulaSql('p.reference')} as reference
      from payments p join invoices i on i.id = p.invoice_id
     order by p.id
  ) to stdout with (format csv, header true)`
}
