import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { deleteLocation, type Location } from '../../lib/stock/locations.js'

export type LocationsDeleteResult = Location

export default class LocationsDelete extends BaseCommand<typeof LocationsDelete> {
  static summary = 'Delete a location that never held stock'
  static description = 'A location with stock history is kept for the ledger: deactivate it instead (erp locations update <location> --no-active).'
  static examples = ['<%= config.bin %> <%= command.id %> WH1/TEMP', '<%= config.bin %> <%= command.id %> WH1/TEMP --yes --json']
  static audited = true
  static args = { location: Args.string({ description: 'WAREHOUSE/CODE', required: true }) }
  static flags = { tenant: tenantFlag, yes: yesFlag }

  async run(): Promise<LocationsDeleteResult> {
    await confirmOrFail(`Delete location ${this.args.location}?`, { yes: this.flags.yes })
    const location = await this.inTenant((trx) => deleteLocation(trx, this.args.location))
    this.log(`Deleted location ${location.fullCode}.`)
    return location
  }
}
