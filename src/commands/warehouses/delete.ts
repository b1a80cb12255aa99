import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { deleteWarehouse, type Warehouse } from '../../lib/stock/warehouses.js'

export type WarehousesDeleteResult = Warehouse

export default class WarehousesDelete extends BaseCommand<typeof WarehousesDelete> {
  static summary = 'Delete a warehouse that never held stock, with its locations'
  static description = 'A warehouse with stock history is kept for the ledger: deactivate it instead (erp warehouses update <code> --no-active).'
  static examples = ['<%= config.bin %> <%= command.id %> TEMP', '<%= config.bin %> <%= command.id %> TEMP --yes --json']
  static audited = true
  static args = { code: Args.string({ description: 'Warehouse code', required: true }) }
  static flags = { tenant: tenantFlag, yes: yesFlag }

  async run(): Promise<WarehousesDeleteResult> {
    await confirmOrFail(`Delete warehouse ${this.args.code} and its locations?`, { yes: this.flags.yes })
    const warehouse = await this.inTenant((trx) => deleteWarehouse(trx, this.args.code))
    this.log(`Deleted warehouse ${warehouse.code}.`)
    return warehouse
  }
}
