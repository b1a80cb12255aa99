import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { LEVEL_COLUMNS, describeMove } from '../../lib/cli/domains/stock-columns.js'
import { locationFlag, lotFlag, moveDateFlag, noteFlag, referenceFlag, serialFlag, skuFlag } from '../../lib/cli/domains/stock-flags.js'
import { adjustStock, type StockOperationResult } from '../../lib/stock/operations.js'

export type StockAdjustResult = StockOperationResult

export default class StockAdjust extends BaseCommand<typeof StockAdjust> {
  static summary = 'Correct on-hand stock at a location by a signed quantity'
  static description =
    'A positive --qty adds stock found, a negative one removes stock lost or damaged (write --qty=-3). ' +
    'The correction is a move from or to the adjustment location, kept in the ledger with --note. ' +
    'A removal may take reserved stock (the goods are not there), but on-hand may not go below zero ' +
    'unless the tenant allows negative stock. For a whole count, use erp stock reconcile.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --location WH1/A-01 --qty=-2 --note "broken in handling"',
    '<%= config.bin %> <%= command.id %> --sku MILK --location WH1 --lot L2611 --qty 5',
    '<%= config.bin %> <%= command.id %> --sku PHONE --location WH1 --qty=-1 --serial SN7 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    qty: Flags.string({ char: 'q', description: 'Signed quantity: 5 adds, -5 removes (write --qty=-5)', required: true }),
    location: locationFlag({ required: true }),
    lot: lotFlag,
    expiry: Flags.string({ description: 'Expiry date of a lot first seen here (YYYY-MM-DD)', dependsOn: ['lot'] }),
    serial: serialFlag,
    reference: referenceFlag,
    note: noteFlag,
    date: moveDateFlag,
  }

  async run(): Promise<StockAdjustResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      adjustStock(trx, {
        sku: f.sku, qty: f.qty, location: f.location, lot: f.lot, expiresOn: f.expiry, serials: f.serial,
        reference: f.reference, note: f.note, date: f.date,
      }),
    )
    for (const move of result.moves) this.log(describeMove(move))
    this.printList(result.levels, LEVEL_COLUMNS, '')
    return result
  }
}
