import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { payInvoice, type PayResult } from '../../lib/invoices/payments.js'
import { dateFlag, invoiceArg } from '../../lib/cli/domains/orders.js'

export type InvoicesPayResult = PayResult

export default class InvoicesPay extends BaseCommand<typeof InvoicesPay> {
  static summary = 'Record a payment against an issued invoice'
  static description =
    'Payments may be partial (issued → partially paid → paid); paying more than is due is refused, and so is ' +
    'paying a draft, a void invoice or a credit note. --date is the day the money came in (today by default): ' +
    'not before the invoice\'s issue date, and not after today unless --allow-future-date. Aging and overdue ' +
    'reports as of a day count the payments dated on or before it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> INV-2026-000123 --amount 150.00 --method bank',
    '<%= config.bin %> <%= command.id %> 311 --amount 20 --method card --date 2026-11-20 --reference TX-991 --json',
  ]
  static audited = true
  static args = { invoice: Args.string(invoiceArg) }
  static flags = {
    tenant: tenantFlag,
    amount: Flags.string({ char: 'a', description: 'Amount received, in the invoice\'s currency', required: true }),
    method: Flags.string({ char: 'm', description: 'How it was paid: bank, card, cash, cheque…', required: true }),
    date: dateFlag('Date received (today by default; not before the issue date)'),
    'allow-future-date': Flags.boolean({ description: 'Accept a --date after today (refused by default, as a likely typo)' }),
    reference: Flags.string({ description: 'Bank or card reference' }),
  }

  async run(): Promise<InvoicesPayResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      payInvoice(trx, {
        invoice: this.args.invoice, amount: f.amount, method: f.method, date: f.date, allowFutureDate: f['allow-future-date'], reference: f.reference,
      }))
    this.log(`Recorded ${result.payment.amount} ${result.invoice.currency} on ${result.invoice.number}: ${result.invoice.state.replace('_', ' ')}, ${result.invoice.due} due`)
    return result
  }
}
