import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import type { ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { LEVEL_COLUMNS, REORDER_LEVEL_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag, lotFlag, skuFlag, warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { listLevels, type LevelGrouping, type StockLevel } from '../../lib/stock/levels.js'

export type StockLevelsResult = ListResult<StockLevel>

export default class StockLevels extends BaseCommand<typeof StockLevels> {
  static summary = 'On hand, reserved and available stock per product, location and lot'
  static description =
    'Read from the level cache, which every move keeps in step with the ledger (erp stock verify checks it). ' +
    '--by warehouse or --by product sums the rows. --below-reorder lists products whose available stock in a ' +
    'warehouse is under their reorder point (erp stock reorder set), with the quantity to order. When more rows match ' +
    'than --limit, the cursor for the next page is printed on stderr (result.nextCursor in --json): pass it to --after ' +
    'with the same filters.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --warehouse WH1',
    '<%= config.bin %> <%= command.id %> --sku MILK --by warehouse',
    '<%= config.bin %> <%= command.id %> --category food/dairy --location WH1/COLD --output csv',
    '<%= config.bin %> <%= command.id %> --below-reorder --warehouse WH1 --json',
    '<%= config.bin %> <%= command.id %> --limit 500 --after WyJCT0xULU04IiwiV0gxL0EtMDEiLCJpbmZpbml0eSIsIiJd --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    warehouse: warehouseFlag(),
    location: Flags.string({ char: 'l', description: 'Only this location (full code, e.g. WH1/A-01)', exclusive: ['below-reorder'] }),
    sku: skuFlag(),
    category: Flags.string({ description: 'Only products in this category path, sub-categories included' }),
    lot: { ...lotFlag, exclusive: ['below-reorder'] },
    by: Flags.string({ description: 'One row per location × lot (default), or summed per warehouse or product', options: ['location', 'warehouse', 'product'] }),
    'below-reorder': Flags.boolean({ description: 'Only products under their reorder point, per warehouse', exclusive: ['by'] }),
    'include-zero': Flags.boolean({ description: 'Also rows with nothing on hand or reserved' }),
    limit: limitFlag(1000),
    after: Flags.string({ description: 'Cursor printed by the previous page', helpValue: '<cursor>' }),
  }

  async run(): Promise<StockLevelsResult> {
    const f = this.flags
    const page = await this.inTenant(
      (trx) =>
        listLevels(trx, {
          warehouse: f.warehouse, location: f.location, sku: f.sku, category: f.category, lot: f.lot,
          by: f.by as LevelGrouping | undefined, belowReorder: f['below-reorder'], includeZero: f['include-zero'], limit: f.limit, after: f.after,
        }),
      { access: 'read' },
    )
    this.printList(page.items, f['below-reorder'] ? REORDER_LEVEL_COLUMNS : LEVEL_COLUMNS, f['below-reorder'] ? 'Nothing is under its reorder point.' : 'No stock.')
    if (page.nextCursor) this.note(`More rows: --after ${page.nextCursor}`)
    return page
  }
}
