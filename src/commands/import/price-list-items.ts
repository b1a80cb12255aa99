import { BaseCommand } from '../../lib/cli/base-command.js'
import { dryRunFlag, tenantFlag } from '../../lib/cli/flags.js'
import { bulkLoadFlag, importArgs, importFlags, importInputFrom, summaryRecord } from '../../lib/importer/cli.js'
import type { ImportSummary } from '../../lib/importer/run.js'

export type ImportPriceListItemsResult = ImportSummary

export default class ImportPriceListItems extends BaseCommand<typeof ImportPriceListItems> {
  static summary = 'Import price-list items (prices with quantity breaks and validity dates) from a CSV file'
  static description =
    'Columns: price_list (code), sku, min_qty (0 by default), valid_from, valid_to (YYYY-MM-DD) and price, in the ' +
    "list's currency and tax basis. (price_list, sku, min_qty, valid_from) identifies an item, as for erp prices set; " +
    'upsert changes its price and end date. Unknown lists and SKUs are rejected; nothing is written on any invalid row.'
  static examples = [
    '<%= config.bin %> <%= command.id %> prices.csv --tenant acme --mode upsert',
    '<%= config.bin %> <%= command.id %> prices.csv --dry-run --errors rejected.csv',
  ]
  static audited = true
  static args = importArgs
  static flags = { tenant: tenantFlag, ...importFlags, 'dry-run': dryRunFlag, 'bulk-load': bulkLoadFlag }

  async run(): Promise<ImportPriceListItemsResult> {
    const { importCsv } = await import('../../lib/importer/run.js')
    const { priceItemsSpec } = await import('../../lib/importer/price-items.js')
    const progress = await this.progress('Importing…')
    const input = importInputFrom(this.args.file, this.flags, progress, (sha256) => (this.auditDetails.sha256 = sha256))
    const summary = await this.inTenant((trx) => importCsv(trx, priceItemsSpec, input, { bulkLoad: this.flags['bulk-load'] })).finally(() => progress.stop())
    if (summary.rejected > 0) {
      this.warning(`${summary.rejected} row(s) rejected${summary.errorsFile ? ` (see ${summary.errorsFile})` : ''}`)
      this.exitStatus = 1
    }
    this.printRecord(summaryRecord(summary))
    return summary
  }
}
