import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { SERIAL_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag, skuFlag, warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { listSerials, type SerialNumber } from '../../lib/stock/history.js'

export type StockSerialsResult = ListResult<SerialNumber>

export default class StockSerials extends BaseCommand<typeof StockSerials> {
  static summary = 'Serial numbers: where each unit is, or where it went'
  static description = "A unit is 'in-stock' at exactly one location, or 'gone' (shipped, scrapped, adjusted out) with its last move."
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku PHONE --warehouse WH1',
    '<%= config.bin %> <%= command.id %> --serial SN-000123 --json',
    '<%= config.bin %> <%= command.id %> --status gone --output csv',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    sku: skuFlag(),
    serial: Flags.string({ description: 'Only this serial number' }),
    warehouse: warehouseFlag(),
    location: Flags.string({ char: 'l', description: 'Only units at this location (WH1/A-01)' }),
    status: Flags.string({ description: 'In stock or gone', options: ['in-stock', 'gone'] }),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockSerialsResult> {
    const f = this.flags
    const serials = await this.inTenant(
      (trx) =>
        listSerials(trx, {
          sku: f.sku, serial: f.serial, warehouse: f.warehouse, location: f.location,
          status: f.status as SerialNumber['status'] | undefined, limit: f.limit,
        }),
      { access: 'read' },
    )
    this.printList(serials, SERIAL_COLUMNS, 'No serial numbers.')
    return listResult(serials)
  }
}
