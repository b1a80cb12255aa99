import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportPriceListItemsResult = ExportSummary

export default class ExportPriceListItems extends ExportCommand<typeof ExportPriceListItems> {
  static summary = 'Export price-list items as CSV that erp import price-list-items takes back unchanged'
  static description = 'Every item of every price list, ordered by list, SKU, quantity and start date.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output prices.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportPriceListItemsResult> {
    const { exportPriceItemsSql } = await import('../../lib/importer/price-items.js')
    return this.exportWith('price-list items', 'price-list item', () => exportPriceItemsSql())
  }
}
