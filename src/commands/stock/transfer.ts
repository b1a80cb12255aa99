import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { LEVEL_COLUMNS, describeMove } from '../../lib/cli/domains/stock-columns.js'
import { lotFlag, moveDateFlag, noteFlag, referenceFlag, serialFlag, skuFlag } from '../../lib/cli/domains/stock-flags.js'
import { transferStock, type StockOperationResult } from '../../lib/stock/operations.js'

export type StockTransferResult = StockOperationResult

export default class StockTransfer extends BaseCommand<typeof StockTransfer> {
  static summary = 'Move stock between locations, within or across warehouses'
  static description =
    'Only available stock moves: what is reserved for documents stays put until released. ' +
    'Lot-tracked products need --lot; serial-tracked ones a --serial per unit, each at the source location.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --qty 10 --from WH1 --to WH1/A-01',
    '<%= config.bin %> <%= command.id %> --sku MILK --qty 20 --lot L2611 --from WH1/COLD --to WH2/COLD --reference TR-7',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    qty: Flags.string({ char: 'q', description: 'Quantity to move (positive)', required: true }),
    from: Flags.string({ description: 'Source: WH1 (default location) or WH1/A-01', required: true }),
    to: Flags.string({ description: 'Destination: WH2 (default location) or WH2/B-03', required: true }),
    lot: lotFlag,
    serial: serialFlag,
    reference: referenceFlag,
    note: noteFlag,
    date: moveDateFlag,
  }

  async run(): Promise<StockTransferResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      transferStock(trx, {
        sku: f.sku, qty: f.qty, from: f.from, to: f.to, lot: f.lot, serials: f.serial, reference: f.reference, note: f.note, date: f.date,
      }),
    )
    for (const move of result.moves) this.log(describeMove(move))
    this.printList(result.levels, LEVEL_COLUMNS, '')
    return result
  }
}
