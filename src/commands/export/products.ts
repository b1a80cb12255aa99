import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportProductsResult = ExportSummary

export default class ExportProducts extends ExportCommand<typeof ExportProducts> {
  static summary = 'Export products as CSV that erp import products takes back unchanged'
  static description =
    'Archived products are left out. Columns: sku, name, description, category (path), uom, barcode, weight, ' +
    'tax_class, active, tracking, cost, price (the default price list\'s base price) and attr:<code> per attribute. ' +
    'Text that a spreadsheet would run as a formula (starting with = + - @) gets a leading quote; import removes it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output products.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > products.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportProductsResult> {
    const { exportProductsSql } = await import('../../lib/importer/products.js')
    return this.exportWith('products', 'product', exportProductsSql)
  }
}
