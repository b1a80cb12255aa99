import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { getInvoice, type InvoiceDetail } from '../../lib/invoices/invoice.js'
import { INVOICE_LINE_COLUMNS, invoiceArg } from '../../lib/cli/domains/orders.js'

export type InvoicesShowResult = InvoiceDetail

export default class InvoicesShow extends BaseCommand<typeof InvoicesShow> {
  static summary = 'Show an invoice or credit note: lines, taxes per rate, payments'
  static description = 'The document as issued, with what was paid and what is due.'
  static examples = ['<%= config.bin %> <%= command.id %> INV-2026-000123', '<%= config.bin %> <%= command.id %> 311 --json']
  static args = { invoice: Args.string(invoiceArg) }
  static flags = { tenant: tenantFlag, columns: listFlags.columns, 'no-truncate': listFlags['no-truncate'] }

  async run(): Promise<InvoicesShowResult> {
    const invoice = await this.inTenant((trx) => getInvoice(trx, this.args.invoice), { access: 'read' })
    if (this.jsonEnabled()) return invoice
    const { lines, taxes, payments, creditNotes, ...header } = invoice
    this.printRecord(header)
    this.log('')
    this.printList(lines, INVOICE_LINE_COLUMNS, '')
    for (const t of taxes) this.log(`  tax ${t.rate}%: net ${t.net}  tax ${t.tax}  gross ${t.gross}`)
    for (const p of payments) this.log(`  paid ${p.amount} by ${p.method} on ${p.paidOn}`)
    for (const c of creditNotes) this.log(`  credit note ${c.number ?? c.id} (${c.reason}) ${c.gross}`)
    return invoice
  }
}
