import { Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { tenantFlag } from '../../../lib/cli/flags.js'
import { skuFlag, warehouseFlag } from '../../../lib/cli/domains/stock-flags.js'
import { setReorderPoint, type ReorderPoint } from '../../../lib/stock/reorder.js'

export type StockReorderSetResult = ReorderPoint

export default class StockReorderSet extends BaseCommand<typeof StockReorderSet> {
  static summary = 'Set the reorder point of a product in a warehouse'
  static description =
    'When available stock in the warehouse falls under --min, erp stock levels --below-reorder lists the product ' +
    'with the quantity to order back up to --max (or to --min without a maximum).'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku ABC-1 --warehouse WH1 --min 20 --max 100',
    '<%= config.bin %> <%= command.id %> --sku MILK --warehouse WH2 --min 50 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    warehouse: warehouseFlag({ required: true }),
    min: Flags.string({ description: 'Minimum available quantity', required: true }),
    max: Flags.string({ description: 'Quantity to refill to' }),
  }

  async run(): Promise<StockReorderSetResult> {
    const f = this.flags
    const point = await this.inTenant((trx) => setReorderPoint(trx, { sku: f.sku, warehouse: f.warehouse, min: f.min, max: f.max }))
    this.log(`Reorder point of ${point.sku} in ${point.warehouse}: min ${point.min}${point.max ? `, max ${point.max}` : ''}`)
    return point
  }
}
