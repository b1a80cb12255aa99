import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { updateWarehouse, type Warehouse } from '../../lib/stock/warehouses.js'

export type WarehousesUpdateResult = Warehouse

export default class WarehousesUpdate extends BaseCommand<typeof WarehousesUpdate> {
  static summary = 'Rename a warehouse, change its default location, or (de)activate it'
  static description = 'An inactive warehouse receives no stock; what it holds can still be moved out.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WH1 --name "Main warehouse"',
    '<%= config.bin %> <%= command.id %> WH1 --default-location RECEIVING',
    '<%= config.bin %> <%= command.id %> OLD --no-active --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Warehouse code', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ description: 'New display name' }),
    'default-location': Flags.string({ description: 'Code of a location of this warehouse to become the default' }),
    active: Flags.boolean({ description: 'Activate (--active) or deactivate (--no-active)', allowNo: true }),
  }

  async run(): Promise<WarehousesUpdateResult> {
    const f = this.flags
    if (f.name === undefined && f.active === undefined && f['default-location'] === undefined) {
      throw usageError('Nothing to change', { actions: ['Pass --name, --default-location, --active or --no-active'] })
    }
    const warehouse = await this.inTenant((trx) =>
      updateWarehouse(trx, this.args.code, { name: f.name, active: f.active, defaultLocation: f['default-location'] }),
    )
    this.printRecord({ ...warehouse })
    return warehouse
  }
}
