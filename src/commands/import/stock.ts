import { Flags } from '@oclif/core'

import { importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportStockResult = ImportSummary | ImportTemplate

export default class ImportStock extends ImportCommand<typeof ImportStock> {
  static summary = 'Import opening stock or stock counts from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns: sku, location (WAREHOUSE/LOCATION, or a warehouse code for its default location), lot (the lot, or ' +
    'the serial number of a serial-tracked product), counted (the quantity there; 0 or 1 for a serial number) and ' +
    'expiry (YYYY-MM-DD, for a lot the import creates). The stock is set to what the file says: one count move per ' +
    'difference, posted like erp stock reconcile. --mode insert (opening stock) refuses a line where stock is ' +
    'already recorded; upsert sets any level; update only levels that hold stock. Lines left out of the file are ' +
    'not touched. Stock levels are locked against other moves until the import commits.'
  static examples = [
    '<%= config.bin %> <%= command.id %> opening-stock.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> count-2026-11.csv --mode upsert --warehouse WH1 --dry-run',
    '<%= config.bin %> <%= command.id %> count-2026-11.xlsx --sheet "Count WH1" --mode upsert --warehouse WH1 --dry-run',
  ]
  static flags = {
    ...importFlags,
    warehouse: Flags.string({ char: 'w', description: 'Read bare location codes as locations of this warehouse', helpValue: '<code>' }),
  }

  async run(): Promise<ImportStockResult> {
    const { stockSpec } = await import('../../lib/importer/stock.js')
    return this.importWith(stockSpec, { warehouse: this.flags.warehouse })
  }
}
