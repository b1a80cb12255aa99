import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { issueInvoice, type InvoiceDetail } from '../../lib/invoices/invoices.js'
import { dateFlag, invoiceArg } from '../../lib/orders/cli.js'

export type InvoicesIssueResult = InvoiceDetail

export default class InvoicesIssue extends BaseCommand<typeof InvoicesIssue> {
  static summary = 'Issue a draft invoice: give it the next number of its series'
  static description =
    'Numbers are gapless per tenant and series, in issue order, also when many issue at once; the format is the ' +
    'tenant setting invoices.number_format (INV-{YYYY}-{NNNNNN} by default). The due date is the issue date plus ' +
    'the customer\'s payment terms. An issued invoice is immutable: erp invoices void cancels it with a credit note.'
  static examples = ['<%= config.bin %> <%= command.id %> 311', '<%= config.bin %> <%= command.id %> 311 --date 2026-11-30 --json']
  static audited = true
  static args = { invoice: Args.string(invoiceArg) }
  static flags = { tenant: tenantFlag, date: dateFlag('Issue date (today by default)') }

  async run(): Promise<InvoicesIssueResult> {
    const invoice = await this.inTenant((trx) => issueInvoice(trx, { invoice: this.args.invoice, date: this.flags.date }))
    this.log(`Issued ${invoice.number}: ${invoice.gross} ${invoice.currency}, due ${invoice.dueDate}`)
    return invoice
  }
}
