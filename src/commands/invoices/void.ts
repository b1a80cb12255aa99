import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { voidInvoice, type VoidResult } from '../../lib/invoices/void.js'
import { dateFlag, invoiceArg } from '../../lib/cli/domains/orders.js'

export type InvoicesVoidResult = VoidResult

export default class InvoicesVoid extends BaseCommand<typeof InvoicesVoid> {
  static summary = 'Void an invoice: an issued one is cancelled by a credit note'
  static description =
    'The credit note copies the invoice\'s lines and is issued at once in its own series (invoices.credit_note_format). ' +
    'A draft is voided without one. What the invoice took of an order can be invoiced again. An invoice with ' +
    'payments is not voided.'
  static examples = ['<%= config.bin %> <%= command.id %> INV-2026-000123 --yes', '<%= config.bin %> <%= command.id %> 311 --yes --json']
  static audited = true
  static args = { invoice: Args.string(invoiceArg) }
  static flags = { tenant: tenantFlag, yes: yesFlag, date: dateFlag('Date of the credit note (today by default)') }

  async run(): Promise<InvoicesVoidResult> {
    await confirmOrFail(`Void invoice ${this.args.invoice}?`, { yes: this.flags.yes })
    const result = await this.inTenant((trx) => voidInvoice(trx, { invoice: this.args.invoice, date: this.flags.date }))
    const name = result.invoice.number ?? `draft ${result.invoice.id}`
    this.log(result.creditNote ? `Voided ${name} with credit note ${result.creditNote.number}` : `Voided ${name}`)
    return result
  }
}
