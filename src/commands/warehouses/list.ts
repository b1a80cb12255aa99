import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { WAREHOUSE_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { listWarehouses, type Warehouse } from '../../lib/stock/warehouses.js'

export type WarehousesListResult = ListResult<Warehouse>

export default class WarehousesList extends BaseCommand<typeof WarehousesList> {
  static summary = 'List warehouses with their locations and stock'
  static description =
    'Every active warehouse of the tenant with its default location, how many locations and products it holds and its total on-hand quantity. --all includes inactive warehouses.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --all --json']
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    all: Flags.boolean({ description: 'Include inactive warehouses' }),
  }

  async run(): Promise<WarehousesListResult> {
    const warehouses = await this.inTenant((trx) => listWarehouses(trx, { includeInactive: this.flags.all }), { access: 'read' })
    if (!this.flags.all && this.auditTenant) await rememberForCompletion({ warehouses: { tenant: this.auditTenant, codes: warehouses.map((w) => w.code) } })
    this.printList(warehouses, WAREHOUSE_COLUMNS, 'No warehouses yet. Create one with: erp warehouses create <code>')
    return listResult(warehouses)
  }
}
