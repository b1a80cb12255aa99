import type { Knex } from 'knex'

import { throwIfFailed } from '../batch.js'
import { clockNow } from '../db/clock.js'
import { Decimal, fixed } from '../pricing/money.js'
import { settingValue } from '../settings/settings.js'
import { queryRows } from '../db/query-rows.js'
import { formatHasYear, formatNumber } from './amounts.js'
import { checkDay, invoiceStateRefusal, label, lockInvoices, readInvoice, type InvoiceDetail, type InvoiceKind, type LockedInvoice } from './invoice.js'

/**
 * Issuing. A draft has no number; `issue` takes the next number of its series (INV or CN, per year
 * when the format holds the year) from invoice_series with one INSERT … ON CONFLICT DO UPDATE …
 * RETURNING inside the issuing transaction: the series row stays locked until commit, so concurrent
 * issuers queue in issue order and a rollback gives the number back (gapless).
 */

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
export async function issueLocked(
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
  // The day first, on its own: Citus refuses a non-IMMUTABLE function in RETURNING.
  const [{ day }] = await queryRows<{ day: string }>(trx, `select to_char(coalesce(?::date, current_date), 'YYYY-MM-DD') as day`, [date])
  const year = Number(day.slice(0, 4))
  // The numbers: each series row is locked until this transaction ends (series in name order).
  const taken = await queryRows<{ series: string; next: string }>(
    trx,
    `insert into invoice_series as s (series, year, next_number)
     select w.series, case when w.yearly then ?::int else 0 end, w.n + 1
       from unnest(?::text[], ?::boolean[], ?::bigint[]) as w(series, yearly, n)
      order by 1, 2
     on conflict (series, year) do update set next_number = s.next_number + excluded.next_number - 1
     returning s.series, s.next_number::text as next`,
    [year, kinds.map(series), kinds.map((k) => formatHasYear(formats.get(k)!)), kinds.map(count)],
  )
  const next = new Map(taken.map((t) => [t.series, BigInt(t.next) - BigInt(count(t.series === 'INV' ? 'invoice' : 'credit_note'))]))
  const stamps = invs.map((inv) => {
    const seq = next.get(series(inv.kind))!
    next.set(series(inv.kind), seq + 1n)
    const format = formats.get(inv.kind)!
    return { id: inv.id, year: formatHasYear(format) ? year : 0, seq: seq.toString(), number: formatNumber(format, year, seq) }
  })
  // One issue time for the batch, read once the series rows are locked: numbers follow issue
  // order (issued_at, then seq). Bound: Citus refuses clock_timestamp() (VOLATILE) in an UPDATE.
  const issuedAt = await clockNow(trx)
  const issued = await queryRows<{ id: string; number: string; termsDays: number; currency: string }>(
    trx,
    `update invoices i set state = 'issued', year = x.year, seq = x.seq, number = x.number, issue_date = ?::date,
            due_date = ?::date + i.payment_terms_days, issued_at = ?::timestamptz
       from unnest(?::bigint[], ?::int[], ?::bigint[], ?::text[]) as x(id, year, seq, number)
      where i.id = x.id
     returning i.id::text, i.number, i.payment_terms_days as "termsDays", i.currency`,
    [day, day, issuedAt, stamps.map((s) => s.id), stamps.map((s) => s.year), stamps.map((s) => s.seq), stamps.map((s) => s.number)],
  )
  const rows = issued.map(({ termsDays, ...r }) => ({ ...r, issueDate: day, dueDate: plusDays(day, termsDays) }))
  return new Map(rows.map((r) => [r.id, r]))
}

/** 'YYYY-MM-DD' plus whole days, in the calendar (UTC: no time zone moves a date). */
function plusDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}
