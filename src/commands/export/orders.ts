import { Flags } from '@oclif/core'

import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'
import { ORDER_STATES } from '../../lib/orders/orders.js'

export type ExportOrdersResult = ExportSummary

export default class ExportOrders extends ExportCommand<typeof ExportOrders> {
  static summary = 'Export sales orders as CSV that erp import orders takes back unchanged'
  static description =
    'One row per order line, in order and line order: external_ref (SO-<id> for an order without one), customer, ' +
    'date, sku, quantity, unit_price, discount_percent (as imported; for a line the price resolver discounted, the ' +
    'discount as a percent of quantity × unit price, to 4 places). Imported into another tenant and exported there, ' +
    'the file comes out the same. --state keeps the orders in these states.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output orders.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme --state draft --state confirmed > open-orders.csv',
  ]
  static flags = {
    ...exportFlags,
    state: Flags.string({ description: 'Only orders in this state (repeat for several)', options: [...ORDER_STATES], multiple: true }),
  }

  async run(): Promise<ExportOrdersResult> {
    const { exportOrdersSql } = await import('../../lib/importer/orders.js')
    return this.exportWith('orders', 'order line', () => exportOrdersSql(this.flags.state))
  }
}
