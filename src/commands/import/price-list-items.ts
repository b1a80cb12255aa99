import { bulkLoadFlag, importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportPriceListItemsResult = ImportSummary | ImportTemplate

export default class ImportPriceListItems extends ImportCommand<typeof ImportPriceListItems> {
  static summary = 'Import price-list items (prices with quantity breaks and validity dates) from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns: price_list (code), sku, min_qty (0 by default), valid_from, valid_to (YYYY-MM-DD) and price, in the ' +
    "list's currency and tax basis. (price_list, sku, min_qty, valid_from) identifies an item, as for erp prices set; " +
    'upsert changes its price and end date. Unknown lists and SKUs are rejected; nothing is written on any invalid row.'
  static examples = [
    '<%= config.bin %> <%= command.id %> prices.csv --tenant acme --mode upsert',
    '<%= config.bin %> <%= command.id %> prices.csv --dry-run --errors rejected.csv',
    '<%= config.bin %> <%= command.id %> catalog.ods --sheet Prices --mode upsert',
  ]
  static flags = { ...importFlags, 'bulk-load': bulkLoadFlag }

  async run(): Promise<ImportPriceListItemsResult> {
    const { priceItemsSpec } = await import('../../lib/importer/price-items.js')
    return this.importWith(priceItemsSpec, { bulkLoad: this.flags['bulk-load'] })
  }
}
