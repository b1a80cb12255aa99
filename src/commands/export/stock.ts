import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportStockResult = ExportSummary

export default class ExportStock extends ExportCommand<typeof ExportStock> {
  static summary = 'Export stock on hand as CSV that erp import stock takes back unchanged'
  static description =
    'One row per product, location and lot with stock (sku, location, lot, counted, expiry), and one per serial ' +
    'number in stock (counted 1). Edit the counted column after a physical count and import it with --mode upsert.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output stock.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > stock.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportStockResult> {
    const { exportStockSql } = await import('../../lib/importer/stock.js')
    return this.exportWith('stock', 'stock line', () => exportStockSql())
  }
}
