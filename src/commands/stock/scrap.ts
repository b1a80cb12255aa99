import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { LEVEL_COLUMNS, describeMove } from '../../lib/cli/domains/stock-columns.js'
import { locationFlag, lotFlag, moveDateFlag, noteFlag, referenceFlag, serialFlag, skuFlag } from '../../lib/cli/domains/stock-flags.js'
import { scrapStock, type StockOperationResult } from '../../lib/stock/operations.js'

export type StockScrapResult = StockOperationResult

export default class StockScrap extends BaseCommand<typeof StockScrap> {
  static summary = 'Write off damaged or expired stock (a move to the scrap location)'
  static description =
    'Expired lots can be scrapped (they cannot be shipped). Like an adjustment, scrapping may take reserved stock, ' +
    'but not more than is on hand unless the tenant allows negative stock.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku MILK --qty 12 --location WH1/COLD --lot L2610 --note expired',
    '<%= config.bin %> <%= command.id %> --sku PHONE --qty 1 --location WH1 --serial SN9 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    qty: Flags.string({ char: 'q', description: 'Quantity scrapped (positive)', required: true }),
    location: locationFlag({ required: true }),
    lot: lotFlag,
    serial: serialFlag,
    reference: referenceFlag,
    note: noteFlag,
    date: moveDateFlag,
  }

  async run(): Promise<StockScrapResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      scrapStock(trx, {
        sku: f.sku, qty: f.qty, location: f.location, lot: f.lot, serials: f.serial, reference: f.reference, note: f.note, date: f.date,
      }),
    )
    for (const move of result.moves) this.log(describeMove(move))
    this.printList(result.levels, LEVEL_COLUMNS, '')
    return result
  }
}
