import { BaseCommand } from '../../../lib/cli/base-command.js'
import { notFound } from '../../../lib/errors.js'
import { tenantFlag } from '../../../lib/cli/flags.js'
import { skuFlag, warehouseFlag } from '../../../lib/cli/domains/stock-flags.js'
import { removeReorderPoint, type ReorderPoint } from '../../../lib/stock/reorder.js'

export type StockReorderRemoveResult = ReorderPoint

export default class StockReorderRemove extends BaseCommand<typeof StockReorderRemove> {
  static summary = 'Remove the reorder point of a product in a warehouse'
  static description =
    'Deletes the reorder point (min/max) of a product in a warehouse, so stock levels --below-reorder no longer reports it. Stock and the ledger are unchanged. Fails (1) when the product has no reorder point there.'
  static examples = ['<%= config.bin %> <%= command.id %> --sku ABC-1 --warehouse WH1']
  static audited = true
  static flags = {
    tenant: tenantFlag,
    sku: skuFlag({ required: true }),
    warehouse: warehouseFlag({ required: true }),
  }

  async run(): Promise<StockReorderRemoveResult> {
    const { sku, warehouse } = this.flags
    const removed = await this.inTenant((trx) => removeReorderPoint(trx, { sku, warehouse }))
    if (!removed) throw notFound(`No reorder point for ${sku} in ${warehouse}`, { actions: ['See them with: erp stock reorder list'] })
    this.log(`Removed the reorder point of ${sku} in ${warehouse}.`)
    return removed
  }
}
