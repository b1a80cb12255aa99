import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/cli/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportStockResult = ExportSummary

export default class ExportStock extends BaseCommand<typeof ExportStock> {
  static summary = 'Export stock on hand as CSV that erp import stock takes back unchanged'
  static description =
    'One row per product, location and lot with stock (sku, location, lot, counted, expiry), and one per serial ' +
    'number in stock (counted 1). Edit the counted column after a physical count and import it with --mode upsert.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output stock.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > stock.csv',
  ]
  static flags = {
    tenant: tenantFlag,
    output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
  }

  async run(): Promise<ExportStockResult> {
    if (this.jsonEnabled() && !this.flags.output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../lib/importer/export.js')
    const { exportStockSql } = await import('../../lib/importer/stock.js')
    const summary = await this.inTenant((trx) => exportCsv(trx, 'stock', exportStockSql(), { output: this.flags.output ?? process.stdout }), { access: 'read' })
    if (summary.file) this.note(`Exported ${summary.rows} stock line(s) to ${summary.file}.`)
    return summary
  }
}
