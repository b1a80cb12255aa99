import { Flags } from '@oclif/core'

import { skipFailing } from '../../lib/batch.js'
import { BaseCommand, type SkippedItem } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { createInvoice, type CreateInvoiceInput } from '../../lib/invoices/create.js'
import { invoiceOrders, type InvoiceOrdersResult } from '../../lib/invoices/from-orders.js'
import type { InvoiceDetail } from '../../lib/invoices/invoice.js'
import { INVOICE_LINE_COLUMNS, dateFlag, parseLinePicks, refuseWithSeveral, skipFailingFlag } from '../../lib/cli/domains/orders.js'
import { orderKeys } from '../../lib/orders/orders.js'
import { parseLineSpecs } from '../../lib/pricing/line-spec.js'

/** One document: the draft invoice; several --order: one item per order with its draft's id and totals. */
export type InvoicesCreateResult = InvoiceDetail | (InvoiceOrdersResult & { failures?: SkippedItem[] })

export default class InvoicesCreate extends BaseCommand<typeof InvoicesCreate> {
  static summary = 'Create draft invoices for orders\' shipped goods, or one for free lines'
  static description =
    'With --order: everything the order shipped and has not invoiced yet (or the --line LINE[:QTY] named), at the ' +
    'order\'s prices; a quantity is never invoiced twice. With --customer: free lines SKU:QTY[@PRICE] priced by the ' +
    'price resolver. A draft has no number: erp invoices issue gives it one.\n\n' +
    '--order may be repeated: one draft per order, in one transaction, all or nothing; the error names every order ' +
    'that cannot be invoiced and why; --skip-failing drafts the ones that can be and reports the others ' +
    '(data.failures with --json), exit 1. --line applies to one order only.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --order 1042',
    '<%= config.bin %> <%= command.id %> --order 1042 --line 1:2 --json',
    '<%= config.bin %> <%= command.id %> --order 1042 --order 1043 --order 1044',
    '<%= config.bin %> <%= command.id %> --order 1042 --order 1043 --skip-failing',
    '<%= config.bin %> <%= command.id %> --customer C0001 --line SERVICE-HOUR:3@80',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    order: Flags.string({ char: 'o', description: 'Invoice this order (123 or SO-123); repeatable', multiple: true, exactlyOne: ['order', 'customer'] }),
    customer: Flags.string({ char: 'c', description: 'Invoice free lines to this customer' }),
    line: Flags.string({ char: 'l', description: 'With one --order: LINE or SKU[:QTY]; with --customer: SKU:QTY[@PRICE]. Repeatable', multiple: true }),
    date: dateFlag('Price free lines as of this date'),
    'skip-failing': skipFailingFlag,
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<InvoicesCreateResult> {
    const f = this.flags
    const orders = f.order ?? []
    refuseWithSeveral(orders.length, { line: f.line }, 'order')
    if (f['skip-failing'] && orders.length) {
      const { done, failures } = await this.inTenant(async (trx) => skipFailing(trx, orders, await orderKeys(trx, orders), (sp, some) => invoiceOrders(sp, some.map((order) => ({ order })))))
      const result = { items: done?.items ?? [], failures: this.reportSkipped(failures) }
      this.reportDrafts(result)
      return result
    }
    if (orders.length > 1) {
      const result = await this.inTenant((trx) => invoiceOrders(trx, orders.map((order) => ({ order }))))
      this.reportDrafts(result)
      return result
    }
    const input: CreateInvoiceInput = orders.length
      ? { order: orders[0], lines: parseLinePicks(f.line) }
      : { customer: f.customer!, lines: parseLineSpecs(f.line ?? []), date: f.date }
    const invoice = await this.inTenant((trx) => createInvoice(trx, input))
    this.log(`Draft invoice ${invoice.id} for ${invoice.customer}: ${invoice.gross} ${invoice.currency}. Issue it with: erp invoices issue ${invoice.id}`)
    this.printList(invoice.lines, INVOICE_LINE_COLUMNS, '')
    return invoice
  }

  private reportDrafts(result: InvoiceOrdersResult): void {
    if (result.items.length === 0) {
      this.log('No draft invoices')
      return
    }
    this.log(`${result.items.length} draft invoices. Issue them with: erp invoices issue ${result.items.map((i) => i.invoice).join(' ')}`)
    for (const item of result.items) this.log(`  ${item.reference}: draft invoice ${item.invoice}, ${item.gross} ${item.currency}`)
  }
}
