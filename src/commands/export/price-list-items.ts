import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/cli/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportPriceListItemsResult = ExportSummary

export default class ExportPriceListItems extends BaseCommand<typeof ExportPriceListItems> {
  static summary = 'Export price-list items as CSV that erp import price-list-items takes back unchanged'
  static description = 'Every item of every price list, ordered by list, SKU, quantity and start date.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output prices.csv',
  ]
  static flags = {
    tenant: tenantFlag,
    output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
  }

  async run(): Promise<ExportPriceListItemsResult> {
    if (this.jsonEnabled() && !this.flags.output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../lib/importer/export.js')
    const { exportPriceItemsSql } = await import('../../lib/importer/price-items.js')
    const summary = await this.inTenant(
      (trx) => exportCsv(trx, 'price-list items', exportPriceItemsSql(), { output: this.flags.output ?? process.stdout }),
      { access: 'read' },
    )
    if (summary.file) this.note(`Exported ${summary.rows} price-list item(s) to ${summary.file}.`)
    return summary
  }
}
