import { Args } from '@oclif/core'

import { skipFailing } from '../../lib/batch.js'
import { BaseCommand, type SkippedItem } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { invoiceKeys, type InvoiceDetail } from '../../lib/invoices/invoice.js'
import { issueInvoice, issueInvoices, type IssueInvoicesResult } from '../../lib/invoices/issue.js'
import { dateFlag, invoicesArg, skipFailingFlag } from '../../lib/cli/domains/orders.js'

/** One invoice: the issued invoice; several: one item per invoice with its number and dates. */
export type InvoicesIssueResult = InvoiceDetail | (IssueInvoicesResult & { failures?: SkippedItem[] })

export default class InvoicesIssue extends BaseCommand<typeof InvoicesIssue> {
  static summary = 'Issue draft invoices: give each the next number of its series'
  static description =
    'Numbers are gapless per tenant and series, in issue order, also when many issue at once; the format is the ' +
    'tenant setting invoices.number_format (INV-{YYYY}-{NNNNNN} by default). The due date is the issue date plus ' +
    'the customer\'s payment terms. An issued invoice is immutable: erp invoices void cancels it with a credit note.\n\n' +
    'Several drafts are issued in one transaction, all or nothing, numbered in the order of their ids; the error ' +
    'names every invoice that cannot be issued. --skip-failing issues the ones that can be and reports the others ' +
    '(data.failures with --json), exit 1.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 311',
    '<%= config.bin %> <%= command.id %> 311 --date 2026-11-30 --json',
    '<%= config.bin %> <%= command.id %> 311 312 313',
    '<%= config.bin %> <%= command.id %> 311 312 313 --skip-failing',
  ]
  static audited = true
  static strict = false
  static args = { invoice: Args.string(invoicesArg) }
  static flags = { tenant: tenantFlag, date: dateFlag('Issue date (today by default)'), 'skip-failing': skipFailingFlag }

  async run(): Promise<InvoicesIssueResult> {
    const invoices = this.positionals
    if (this.flags['skip-failing']) {
      const { done, failures } = await this.inTenant(async (trx) =>
        skipFailing(trx, invoices, await invoiceKeys(trx, invoices), (sp, some) => issueInvoices(sp, { invoices: some, date: this.flags.date })))
      const result = { items: done?.items ?? [], failures: this.reportSkipped(failures) }
      this.reportIssued(result)
      return result
    }
    if (invoices.length === 1) {
      const invoice = await this.inTenant((trx) => issueInvoice(trx, { invoice: invoices[0], date: this.flags.date }))
      this.log(`Issued ${invoice.number}: ${invoice.gross} ${invoice.currency}, due ${invoice.dueDate}`)
      return invoice
    }
    const result = await this.inTenant((trx) => issueInvoices(trx, { invoices, date: this.flags.date }))
    this.reportIssued(result)
    return result
  }

  private reportIssued(result: IssueInvoicesResult): void {
    const numbers = result.items.map((i) => i.number)
    if (numbers.length) this.log(`Issued ${numbers.length} invoices: ${numbers[0]} … ${numbers.at(-1)}`)
    else this.log('Issued no invoices')
    for (const item of result.items) this.log(`  ${item.number}: ${item.gross} ${item.currency}, due ${item.dueDate}`)
  }
}
