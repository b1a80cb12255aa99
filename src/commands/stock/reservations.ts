import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { RESERVATION_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag, warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { listReservations, type Reservation } from '../../lib/stock/reservations.js'

export type StockReservationsResult = ListResult<Reservation>

export default class StockReservations extends BaseCommand<typeof StockReservations> {
  static summary = 'What documents hold: reservations by reference, product and location'
  static description =
    'The stock that documents (orders, transfer requests) hold and have not yet shipped or released, one line per reference, product, location and lot, with the quantity and when it was reserved. Filter by --reference, --sku (repeatable) and --warehouse; --limit caps the lines (1000 by default).'
  static examples = [
    '<%= config.bin %> <%= command.id %> --reference SO-1001',
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --warehouse WH1 --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    reference: Flags.string({ char: 'r', description: 'Only this document' }),
    sku: Flags.string({ char: 's', description: 'Only this product; repeat for more', multiple: true }),
    warehouse: warehouseFlag(),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockReservationsResult> {
    const f = this.flags
    const rows = await this.inTenant(
      (trx) => listReservations(trx, { reference: f.reference, skus: f.sku, warehouse: f.warehouse, limit: f.limit }),
      { access: 'read' },
    )
    this.printList(rows, RESERVATION_COLUMNS, 'No reservations.')
    return listResult(rows)
  }
}
