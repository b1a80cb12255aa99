import { importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportReorderPointsResult = ImportSummary | ImportTemplate

export default class ImportReorderPoints extends ImportCommand<typeof ImportReorderPoints> {
  static summary = 'Import reorder points (minimum and refill quantity per product and warehouse) from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns: sku, warehouse (code), min (the minimum available quantity) and max (what to refill to, not below min; ' +
    'blank for none), as erp stock reorder set keeps them. (sku, warehouse) identifies a reorder point: insert adds ' +
    'new ones only, upsert adds or changes, update changes existing ones. Unknown SKUs and warehouses are rejected; ' +
    'nothing is written on any invalid row unless --skip-invalid.'
  static examples = [
    '<%= config.bin %> <%= command.id %> reorder-points.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> reorder-points.csv --mode upsert --dry-run --errors rejected.csv',
  ]
  static flags = importFlags

  async run(): Promise<ImportReorderPointsResult> {
    const { reorderPointsSpec } = await import('../../lib/importer/reorder-points.js')
    return this.importWith(reorderPointsSpec, {})
  }
}
