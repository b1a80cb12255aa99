import type { Knex } from 'knex'

import { conflict, invalidData, usageError } from '../errors.js'
import { Decimal, fixed } from '../pricing/money.js'
import { queryRows } from '../db/query-rows.js'
import { Problems, checkDecimal } from '../validation.js'
import { checkDay, label, lockInvoice, readInvoice, refuseInvoiceState, type InvoiceDetail, type LockedInvoice, type Payment } from './invoice.js'

export interface PayInput {
  invoice: string | number
  amount: string
  method: string
  /** YYYY-MM-DD; today by default. Not before the invoice's issue date. */
  date?: string
  /** Accept a date after today (a payment announced for a later day): refused by default, as a typo. */
  allowFutureDate?: boolean
  reference?: string
}

export interface PayResult {
  payment: Payment
  invoice: InvoiceDetail
}

/**
 * Record a payment: partial payments add up; paying more than is due is refused, and so is a
 * payment dated before the invoice was issued or (unless allowed) after today.
 */
export async function payInvoice(trx: Knex.Transaction, input: PayInput): Promise<PayResult> {
  const problems = new Problems()
  const amount = checkDecimal(problems, 'amount', String(input.amount ?? ''), { precision: 14, scale: 4, nonNegative: true })
  if (amount !== undefined && new Decimal(amount).isZero()) problems.add('amount', 'must be more than zero')
  const method = (input.method ?? '').trim().toLowerCase()
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(method)) problems.add('method', 'a word such as bank, card, cash, cheque')
  problems.throwIfAny('Payment not recorded')
  const date = checkDay('date', input.date)
  const inv = await lockInvoice(trx, input.invoice)
  if (inv.kind === 'credit_note') throw conflict(`${label(inv)} is a credit note: it is not paid`, { data: { invoice: inv.id } })
  refuseInvoiceState(inv, 'pay', ['issued', 'partially_paid'], inv.state === 'draft' ? [`Issue it first: erp invoices issue ${inv.id}`] : [])
  const paidOn = await paymentDay(trx, inv, date, input.allowFutureDate === true)
  const value = new Decimal(amount!)
  if (value.decimalPlaces() > inv.scale) {
    throw invalidData(`Payment not recorded: amount ${amount} has more decimals than the currency's ${inv.scale}`, { data: { amount } })
  }
  const due = new Decimal(inv.gross).minus(inv.paid)
  if (value.greaterThan(due)) {
    throw conflict(`Over-payment refused: ${label(inv)} has ${fixed(due, inv.scale)} due, ${fixed(value, inv.scale)} was offered`, {
      actions: [`Record at most ${fixed(due, inv.scale)}.`],
      data: { invoice: inv.id, number: inv.number, due: fixed(due, inv.scale), amount: fixed(value, inv.scale) },
    })
  }
  const [payment] = await queryRows<{ id: string }>(
    trx,
    `insert into payments (invoice_id, amount, method, paid_on, reference) values (?, ?, ?, ?::date, ?) returning id::text`,
    [inv.id, value.toFixed(), method, paidOn, input.reference ?? null],
  )
  await trx.raw(
    `update invoices set paid = paid + ?::numeric,
            state = case when paid + ?::numeric = gross then 'paid' else 'partially_paid' end
      where id = ?`,
    [value.toFixed(), value.toFixed(), inv.id],
  )
  const invoice = await readInvoice(trx, inv.id)
  return { payment: invoice.payments.find((p) => p.id === payment.id)!, invoice }
}

/**
 * The day a payment is recorded on (today by default), checked against the invoice: reports as of
 * a date (as-of.ts) count payments by this day, so one before the issue date, or a future one
 * typed by mistake, would make them wrong. "Today" is the database's, as the default is.
 */
async function paymentDay(trx: Knex.Transaction, inv: LockedInvoice, date: string | null, allowFutureDate: boolean): Promise<string> {
  const [{ day, today }] = await queryRows<{ day: string; today: string }>(
    trx,
    `select to_char(coalesce(?::date, current_date), 'YYYY-MM-DD') as day, to_char(current_date, 'YYYY-MM-DD') as today`,
    [date],
  )
  const data = { invoice: inv.id, number: inv.number, date: day, issueDate: inv.issue_date, today }
  // Both are YYYY-MM-DD (four-digit years: checkDay), so text order is date order.
  if (inv.issue_date !== null && day < inv.issue_date) {
    throw invalidData(`Payment not recorded: ${day} is before ${label(inv)} was issued on ${inv.issue_date}`, {
      actions: [`Date it on or after the issue date, e.g. --date ${inv.issue_date}`],
      data,
    })
  }
  if (day > today && !allowFutureDate) {
    throw usageError(`Payment not recorded: ${day} is in the future (today is ${today})`, {
      actions: ['Check the date; to record a payment dated after today anyway, pass --allow-future-date'],
      data,
    })
  }
  return day
}
