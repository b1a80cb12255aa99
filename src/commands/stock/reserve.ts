import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { RESERVATION_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { lotFlag, warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { reserve, type Reservation, type ReserveLine } from '../../lib/stock/reservations.js'

export type StockReserveResult = ListResult<Reservation>

export default class StockReserve extends BaseCommand<typeof StockReserve> {
  static summary = 'Hold stock for a document (an order, a transfer request)'
  static description =
    'Every line is reserved, or none: the error names the lines short of stock. Stock is allocated to locations ' +
    'and lots first-expiry-first-out; expired lots are skipped. Give it back with erp stock release.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --reference SO-1001 --line ABC-1:2 --line MILK:12',
    '<%= config.bin %> <%= command.id %> --reference SO-1002 --line ABC-1:5 --warehouse WH2 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    reference: Flags.string({ char: 'r', description: 'The document holding the stock, e.g. SO-1001', required: true }),
    line: Flags.string({ description: 'SKU:QTY to reserve; repeat for more lines', multiple: true, required: true }),
    warehouse: warehouseFlag({ exclusive: ['location'] }),
    location: Flags.string({ char: 'l', description: 'Reserve only at this location (WH1/A-01)' }),
    lot: lotFlag,
  }

  async run(): Promise<StockReserveResult> {
    const f = this.flags
    const lines: ReserveLine[] = f.line.map((text) => {
      const at = text.lastIndexOf(':')
      if (at <= 0 || at === text.length - 1) throw usageError(`--line "${text}": write SKU:QTY, e.g. ABC-1:3`)
      return { sku: text.slice(0, at), qty: text.slice(at + 1), warehouse: f.warehouse, location: f.location, lot: f.lot }
    })
    const reservations = await this.inTenant((trx) => reserve(trx, { reference: f.reference, lines }))
    this.log(`Reserved for ${f.reference}:`)
    this.printList(reservations, RESERVATION_COLUMNS, '')
    return listResult(reservations)
  }
}
