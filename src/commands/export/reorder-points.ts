import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportReorderPointsResult = ExportSummary

export default class ExportReorderPoints extends ExportCommand<typeof ExportReorderPoints> {
  static summary = 'Export reorder points as CSV that erp import reorder-points takes back unchanged'
  static description = 'One row per product and warehouse with a reorder point: sku, warehouse, min, max. Re-imported with --mode upsert it changes nothing.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output reorder-points.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > reorder-points.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportReorderPointsResult> {
    const { exportReorderPointsSql } = await import('../../lib/importer/reorder-points.js')
    return this.exportWith('reorder points', 'reorder point', () => exportReorderPointsSql())
  }
}
