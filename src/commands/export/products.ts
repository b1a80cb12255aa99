import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/cli/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportProductsResult = ExportSummary

export default class ExportProducts extends BaseCommand<typeof ExportProducts> {
  static summary = 'Export products as CSV that erp import products takes back unchanged'
  static description =
    'Archived products are left out. Columns: sku, name, description, category (path), uom, barcode, weight, ' +
    'tax_class, active, tracking, cost, price (the default price list\'s base price) and attr:<code> per attribute. ' +
    'Text that a spreadsheet would run as a formula (starting with = + - @) gets a leading quote; import removes it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output products.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > products.csv',
  ]
  static flags = {
    tenant: tenantFlag,
    output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
  }

  async run(): Promise<ExportProductsResult> {
    if (this.jsonEnabled() && !this.flags.output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../lib/importer/export.js')
    const { exportProductsSql } = await import('../../lib/importer/products.js')
    const summary = await this.inTenant(
      async (trx) => exportCsv(trx, 'products', await exportProductsSql(trx), { output: this.flags.output ?? process.stdout }),
      { access: 'read' },
    )
    if (summary.file) this.note(`Exported ${summary.rows} product(s) to ${summary.file}.`)
    return summary
  }
}
