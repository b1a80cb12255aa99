import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { LEVEL_COLUMNS, describeMove } from '../../lib/cli/domains/stock-columns.js'
import { locationFlag, lotFlag, moveDateFlag, noteFlag, referenceFlag, serialFlag, skuFlag } from '../../lib/cli/domains/stock-flags.js'
import { receiveStock, type StockOperationResult } from '../../lib/stock/operations.js'

export type StockReceiveResult = StockOperationResult

export default class StockReceive extends BaseCommand<typeof StockReceive> {
  static summary = 'Receive goods into a warehouse location (a move from the supplier)'
  static description =
    'Lot-tracked products need --lot (a new lot is created, with --expiry if given; expired goods are refused). ' +
    'Serial-tracked products need one --serial per unit; a serial already in stock is refused.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --qty 24 --location WH1 --reference PO-1001',
    '<%= config.bin %> <%= command.id %> --sku MILK --qty 100 --location WH1/COLD --lot L2611 --expiry 2026-12-20',
    '<%= config.bin %> <%= command.id %> --sku PHONE --qty 2 --location WH1 --serial SN1,SN2 --json',
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --qty 24 --location WH1 --reference PO-0998 --date 2026-11-27',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    qty: Flags.string({ char: 'q', description: 'Quantity received (positive)', required: true }),
    location: locationFlag({ required: true }),
    lot: lotFlag,
    expiry: Flags.string({ description: 'Expiry date of a new lot (YYYY-MM-DD)', dependsOn: ['lot'] }),
    serial: serialFlag,
    reference: referenceFlag,
    note: noteFlag,
    date: moveDateFlag,
  }

  async run(): Promise<StockReceiveResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      receiveStock(trx, {
        sku: f.sku, qty: f.qty, location: f.location, lot: f.lot, expiresOn: f.expiry, serials: f.serial,
        reference: f.reference, note: f.note, date: f.date,
      }),
    )
    for (const move of result.moves) this.log(describeMove(move))
    this.printList(result.levels, LEVEL_COLUMNS, '')
    return result
  }
}
