import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { INVOICE_STATES, type InvoiceState } from '../../lib/invoices/invoice.js'
import { listInvoices, type InvoicePage } from '../../lib/invoices/reports.js'
import { INVOICE_COLUMNS, dateFlag } from '../../lib/cli/domains/orders.js'

export type InvoicesListResult = InvoicePage

export default class InvoicesList extends BaseCommand<typeof InvoicesList> {
  static summary = 'List invoices and credit notes, newest first; --overdue for what is past its payment terms'
  static description =
    '--overdue lists issued and partially paid invoices whose due date (issue date + payment terms) is before ' +
    '--as-of (today by default), with the days late, each as it stood that day: its state, paid and due count ' +
    'only the payments dated on or before it. When more match, the next page starts --before the printed id.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --overdue',
    '<%= config.bin %> <%= command.id %> --customer C0001 --state issued --output csv',
    '<%= config.bin %> <%= command.id %> --order 1042 --json',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    state: Flags.string({ description: 'Only in this state', options: [...INVOICE_STATES] }),
    kind: Flags.string({ description: 'Only invoices or only credit notes', options: ['invoice', 'credit_note'] }),
    customer: Flags.string({ char: 'c', description: 'Only this customer\'s' }),
    order: Flags.string({ description: 'Only this order\'s' }),
    overdue: Flags.boolean({ description: 'Only unpaid invoices past their due date' }),
    'as-of': dateFlag('Overdue as of this date (today by default)'),
    limit: Flags.integer({ description: 'Invoices per page', default: 50, min: 1, max: 1000 }),
    before: Flags.string({ description: 'Id of the last invoice of the previous page' }),
  }

  async run(): Promise<InvoicesListResult> {
    const f = this.flags
    const page = await this.inTenant(
      (trx) => listInvoices(trx, {
        state: f.state as InvoiceState | undefined, kind: f.kind as 'invoice' | 'credit_note' | undefined, customer: f.customer,
        order: f.order, overdue: f.overdue, asOf: f['as-of'], limit: f.limit, before: f.before,
      }),
      { access: 'read' },
    )
    this.printList(page.items, INVOICE_COLUMNS, f.overdue ? 'Nothing is overdue.' : 'No invoices match.')
    if (page.nextCursor) this.note(`More invoices: --before ${page.nextCursor}`)
    return page
  }
}
