import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { createInvoice, type CreateInvoiceInput, type InvoiceDetail } from '../../lib/invoices/invoices.js'
import { INVOICE_LINE_COLUMNS, dateFlag, parseLinePicks } from '../../lib/orders/cli.js'
import { parseLineSpecs } from '../../lib/pricing/line-spec.js'

export type InvoicesCreateResult = InvoiceDetail

export default class InvoicesCreate extends BaseCommand<typeof InvoicesCreate> {
  static summary = 'Create a draft invoice for an order\'s shipped goods, or for free lines'
  static description =
    'With --order: everything the order shipped and has not invoiced yet (or the --line LINE[:QTY] named), at the ' +
    'order\'s prices; a quantity is never invoiced twice. With --customer: free lines SKU:QTY[@PRICE] priced by the ' +
    'price resolver. A draft has no number: erp invoices issue gives it one.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --order 1042',
    '<%= config.bin %> <%= command.id %> --order 1042 --line 1:2 --json',
    '<%= config.bin %> <%= command.id %> --customer C0001 --line SERVICE-HOUR:3@80',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    order: Flags.string({ char: 'o', description: 'Invoice this order (123 or SO-123)', exactlyOne: ['order', 'customer'] }),
    customer: Flags.string({ char: 'c', description: 'Invoice free lines to this customer' }),
    line: Flags.string({ char: 'l', description: 'With --order: LINE or SKU[:QTY]; with --customer: SKU:QTY[@PRICE]. Repeatable', multiple: true }),
    date: dateFlag('Price free lines as of this date'),
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<InvoicesCreateResult> {
    const f = this.flags
    const input: CreateInvoiceInput = f.order
      ? { order: f.order, lines: parseLinePicks(f.line) }
      : { customer: f.customer!, lines: parseLineSpecs(f.line ?? []), date: f.date }
    const invoice = await this.inTenant((trx) => createInvoice(trx, input))
    this.log(`Draft invoice ${invoice.id} for ${invoice.customer}: ${invoice.gross} ${invoice.currency}. Issue it with: erp invoices issue ${invoice.id}`)
    this.printList(invoice.lines, INVOICE_LINE_COLUMNS, '')
    return invoice
  }
}
