import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createLocation, type Location } from '../../lib/stock/locations.js'

export type LocationsCreateResult = Location

export default class LocationsCreate extends BaseCommand<typeof LocationsCreate> {
  static summary = 'Create a location (bin, shelf, zone) in a warehouse'
  static description = 'Name it WAREHOUSE/CODE. --default makes it where stock goes when only the warehouse is named.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WH1/A-01-02 --name "Aisle A, rack 1, shelf 2"',
    '<%= config.bin %> <%= command.id %> WH1/RECEIVING --default --json',
  ]
  static audited = true
  static args = { location: Args.string({ description: 'WAREHOUSE/CODE, e.g. WH1/A-01', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ description: 'Display name' }),
    default: Flags.boolean({ description: "Make it the warehouse's default location" }),
  }

  async run(): Promise<LocationsCreateResult> {
    const location = await this.inTenant((trx) =>
      createLocation(trx, { fullCode: this.args.location, name: this.flags.name, makeDefault: this.flags.default }),
    )
    this.log(`Created location ${location.fullCode}${location.isDefault ? ' (default)' : ''}`)
    return location
  }
}
