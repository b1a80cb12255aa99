import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { ORDER_COLUMNS, dateFlag } from '../../lib/cli/domains/orders.js'
import { ORDER_STATES, listOrders, type OrderPage } from '../../lib/orders/orders.js'

export type OrdersListResult = OrderPage

export default class OrdersList extends BaseCommand<typeof OrdersList> {
  static summary = 'List orders, newest first, a page at a time'
  static description = 'Filter by state, customer, external reference and order date range (inclusive). When more match, the next page starts --before the printed order.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --state confirmed',
    '<%= config.bin %> <%= command.id %> --customer C0001 --from 2026-01-01 --to 2026-03-31 --output csv',
    '<%= config.bin %> <%= command.id %> --limit 100 --before 5000 --json',
    '<%= config.bin %> <%= command.id %> --external-ref PO-4471',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    state: Flags.string({ description: 'Only orders in this state', options: [...ORDER_STATES] }),
    customer: Flags.string({ char: 'c', description: 'Only this customer\'s orders' }),
    'external-ref': Flags.string({ description: 'Only the order with this external reference (exact match)', helpValue: '<ref>' }),
    from: dateFlag('Ordered on or after'),
    to: dateFlag('Ordered on or before'),
    limit: Flags.integer({ description: 'Orders per page', default: 50, min: 1, max: 1000 }),
    before: Flags.string({ description: 'Number of the last order of the previous page' }),
  }

  async run(): Promise<OrdersListResult> {
    const f = this.flags
    const page = await this.inTenant(
      (trx) => listOrders(trx, { state: f.state as OrderPage['items'][number]['state'] | undefined, customer: f.customer, externalRef: f['external-ref'], from: f.from, to: f.to, limit: f.limit, before: f.before }),
      { access: 'read' },
    )
    this.printList(page.items, ORDER_COLUMNS, 'No orders match.')
    if (page.nextCursor) this.note(`More orders: --before ${page.nextCursor}`)
    return page
  }
}
