import { BaseCommand } from '../../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../../lib/cli/list-result.js'
import { tenantFlag } from '../../../lib/cli/flags.js'
import { listFlags } from '../../../lib/cli/list-flags.js'
import { REORDER_COLUMNS } from '../../../lib/cli/domains/stock-columns.js'
import { limitFlag, skuFlag, warehouseFlag } from '../../../lib/cli/domains/stock-flags.js'
import { listReorderPoints, type ReorderPoint } from '../../../lib/stock/reorder.js'

export type StockReorderListResult = ListResult<ReorderPoint>

export default class StockReorderList extends BaseCommand<typeof StockReorderList> {
  static summary = 'List reorder points'
  static description = 'To see which products are under theirs: erp stock levels --below-reorder.'
  static examples = ['<%= config.bin %> <%= command.id %> --warehouse WH1', '<%= config.bin %> <%= command.id %> --sku ABC-1 --json']
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    sku: skuFlag(),
    warehouse: warehouseFlag(),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockReorderListResult> {
    const f = this.flags
    const points = await this.inTenant((trx) => listReorderPoints(trx, { sku: f.sku, warehouse: f.warehouse, limit: f.limit }), { access: 'read' })
    this.printList(points, REORDER_COLUMNS, 'No reorder points.')
    return listResult(points)
  }
}
