import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createWarehouse, type Warehouse } from '../../lib/stock/warehouses.js'

export type WarehousesCreateResult = Warehouse

export default class WarehousesCreate extends BaseCommand<typeof WarehousesCreate> {
  static summary = 'Create a warehouse, with its default location'
  static description =
    'The default location (STOCK unless --default-location says otherwise) is where stock goes when a command ' +
    'names only the warehouse (--location WH1). Codes cannot change later: locations are named WH1/<code>.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WH1 --name "Main warehouse"',
    '<%= config.bin %> <%= command.id %> LYON --name Lyon --default-location RECEIVING --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Warehouse code (letters, digits, _ . -)', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ description: 'Display name (the code by default)' }),
    'default-location': Flags.string({ description: 'Code of the default location', default: 'STOCK' }),
  }

  async run(): Promise<WarehousesCreateResult> {
    const warehouse = await this.inTenant((trx) =>
      createWarehouse(trx, { code: this.args.code, name: this.flags.name, defaultLocation: this.flags['default-location'] }),
    )
    if (this.auditTenant) await rememberForCompletion({ addWarehouses: { tenant: this.auditTenant, codes: [warehouse.code] } })
    this.log(`Created warehouse ${warehouse.code} (default location ${warehouse.defaultLocation})`)
    return warehouse
  }
}
