import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { updateLocation, type Location } from '../../lib/stock/locations.js'

export type LocationsUpdateResult = Location

export default class LocationsUpdate extends BaseCommand<typeof LocationsUpdate> {
  static summary = 'Rename a location, make it the default, or (de)activate it'
  static description = 'A location is deactivated only when empty; an inactive location receives no stock.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WH1/A-01 --name "Aisle A"',
    '<%= config.bin %> <%= command.id %> WH1/RECEIVING --default',
    '<%= config.bin %> <%= command.id %> WH1/OLD --no-active --json',
  ]
  static audited = true
  static args = { location: Args.string({ description: 'WAREHOUSE/CODE', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ description: 'New display name ("" clears it)' }),
    default: Flags.boolean({ description: "Make it the warehouse's default location" }),
    active: Flags.boolean({ description: 'Activate (--active) or deactivate (--no-active)', allowNo: true }),
  }

  async run(): Promise<LocationsUpdateResult> {
    const f = this.flags
    if (f.name === undefined && f.active === undefined && !f.default) {
      throw usageError('Nothing to change', { actions: ['Pass --name, --default, --active or --no-active'] })
    }
    const location = await this.inTenant((trx) =>
      updateLocation(trx, this.args.location, { name: f.name, active: f.active, makeDefault: f.default }),
    )
    this.printRecord({ ...location })
    return location
  }
}
