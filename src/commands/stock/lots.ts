import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { LOT_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag, skuFlag } from '../../lib/cli/domains/stock-flags.js'
import { listLots, type Lot } from '../../lib/stock/history.js'

export type StockLotsResult = ListResult<Lot>

export default class StockLots extends BaseCommand<typeof StockLots> {
  static summary = 'Lots with their expiry and stock, soonest expiry first'
  static description =
    "Status is 'expired' past the expiry date, 'expiring' within --expiring-within days (30 by default). " +
    'Expired lots are neither reserved nor shipped; scrap them with erp stock scrap.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku MILK',
    '<%= config.bin %> <%= command.id %> --expiring-within 14 --output csv',
    '<%= config.bin %> <%= command.id %> --expired --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    sku: skuFlag(),
    lot: Flags.string({ description: 'Only this lot code' }),
    expired: Flags.boolean({ description: 'Only lots past their expiry date', exclusive: ['expiring-within'] }),
    'expiring-within': Flags.integer({ description: 'Only lots expiring within this many days (expired ones too)', min: 0, max: 3650 }),
    'include-empty': Flags.boolean({ description: 'Also lots with nothing on hand' }),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockLotsResult> {
    const f = this.flags
    const lots = await this.inTenant(
      (trx) =>
        listLots(trx, {
          sku: f.sku, lot: f.lot, expired: f.expired, expiringWithinDays: f['expiring-within'], includeEmpty: f['include-empty'], limit: f.limit,
        }),
      { access: 'read' },
    )
    this.printList(lots, LOT_COLUMNS, 'No lots.')
    return listResult(lots)
  }
}
