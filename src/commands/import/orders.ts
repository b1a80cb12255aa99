import { Flags } from '@oclif/core'

import { usageError } from '../../lib/errors.js'
import { bulkLoadFlag, importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportOrdersResult = ImportSummary | ImportTemplate

// An order is all its lines and an import all its orders: no --skip-invalid; new orders only: no --mode.
const { mode: _mode, 'skip-invalid': _skipInvalid, ...flags } = importFlags

export default class ImportOrders extends ImportCommand<typeof ImportOrders> {
  static summary = 'Import sales orders (the order history, open orders) from a CSV file or a workbook (.xlsx, .ods), one row per order line'
  static description =
    "Columns: external_ref (the order's number in the client's system), customer (code), date (YYYY-MM-DD, today " +
    'when blank), sku, quantity, unit_price and discount_percent (0 to 100, blank for none). Rows with the same ' +
    'external_ref are one order, its lines in file order; they must give the same customer and date. The reference ' +
    'is kept on the order: unique in the tenant, searchable with erp orders list --external-ref, and usable as ' +
    'ext:REF wherever a command takes an order. Unit prices are in the basis (net or gross) of the customer\'s price ' +
    'list, whose currency the order takes; tax and rounding are those of erp prices quote (the line\'s discount is ' +
    'round(quantity × unit price) × percent). Orders come in as drafts; --state confirmed confirms them as erp orders ' +
    'confirm does (credit check, stock reserved, no oversell), all of them or none. Any invalid row (an unknown ' +
    'customer or SKU, a reference the tenant already has, a reference whose rows disagree, a quantity of 0 or less, ' +
    'a discount outside 0-100) stops the import and nothing is written. A dry run of --state confirmed checks the ' +
    'stock and credit too. Set-based: a few statements per file whatever the number of orders; a large load into a ' +
    'tenant with few orders drops and rebuilds the order tables\' indexes (locking them until the import ends: ' +
    '--no-bulk-load avoids that).'
  static examples = [
    '<%= config.bin %> <%= command.id %> order-history.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> open-orders.csv --tenant acme --state confirmed --dry-run --errors rejected.csv',
    '<%= config.bin %> <%= command.id %> open-orders.csv --state confirmed --credit-override "migrated from the old system"',
  ]
  static flags = {
    ...flags,
    'bulk-load': bulkLoadFlag,
    state: Flags.string({
      description: 'draft: the orders come in as drafts; confirmed: they are confirmed too (stock reserved, credit checked)',
      options: ['draft', 'confirmed'],
      default: 'draft',
    }),
    'credit-override': Flags.string({
      description: 'With --state confirmed: confirm past the credit limit or overdue invoices, for this reason (kept on each order, audited)',
      helpValue: '<reason>',
    }),
  }

  async run(): Promise<ImportOrdersResult> {
    const { ordersSpec } = await import('../../lib/importer/orders.js')
    const state = this.flags.state as 'draft' | 'confirmed'
    if (this.flags['credit-override'] !== undefined && state !== 'confirmed') throw usageError('--credit-override applies to --state confirmed only')
    return this.importWith(ordersSpec, { state, creditOverride: this.flags['credit-override'], bulkLoad: this.flags['bulk-load'] })
  }
}
