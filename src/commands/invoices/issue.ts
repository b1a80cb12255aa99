import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { InvoiceDetail } from '../../lib/invoices/invoice.js'
import { issueInvoice, issueInvoices, type IssueInvoicesResult } from '../../lib/invoices/issue.js'
import { dateFlag, invoicesArg } from '../../lib/cli/domains/orders.js'

/** One invoice: the issued invoice; several: one item per invoice with its number and dates. */
export type InvoicesIssueResult = InvoiceDetail | IssueInvoicesResult

export default class InvoicesIssue extends BaseCommand<typeof InvoicesIssue> {
  static summary = 'Issue draft invoices: give each the next number of its series'
  static description =
    'Numbers are gapless per tenant and series, in issue order, also when many issue at once; the format is the ' +
    'tenant setting invoices.number_format (INV-{YYYY}-{NNNNNN} by default). The due date is the issue date plus ' +
    'the customer\'s payment terms. An issued invoice is immutable: erp invoices void cancels it with a credit note.\n\n' +
    'Several drafts are issued in one transaction, all or nothing, numbered in the order of their ids; the error ' +
    'names every invoice that cannot be issued.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 311',
    '<%= config.bin %> <%= command.id %> 311 --date 2026-11-30 --json',
    '<%= config.bin %> <%= command.id %> 311 312 313',
  ]
  static audited = true
  static strict = false
  static args = { invoice: Args.string(invoicesArg) }
  static flags = { tenant: tenantFlag, date: dateFlag('Issue date (today by default)') }

  async run(): Promise<InvoicesIssueResult> {
    const invoices = this.positionals
    if (invoices.length === 1) {
      const invoice = await this.inTenant((trx) => issueInvoice(trx, { invoice: invoices[0], date: this.flags.date }))
      this.log(`Issued ${invoice.number}: ${invoice.gross} ${invoice.currency}, due ${invoice.dueDate}`)
      return invoice
    }
    const result = await this.inTenant((trx) => issueInvoices(trx, { invoices, date: this.flags.date }))
    const numbers = result.items.map((i) => i.number)
    this.log(`Issued ${numbers.length} invoices: ${numbers[0]} … ${numbers.at(-1)}`)
    for (const item of result.items) this.log(`  ${item.number}: ${item.gross} ${item.currency}, due ${item.dueDate}`)
    return result
  }
}
