import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { LOCATION_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { listLocations, type Location } from '../../lib/stock/locations.js'
import { VIRTUAL_KINDS, type LocationKind } from '../../lib/stock/refs.js'

export type LocationsListResult = ListResult<Location>

export default class LocationsList extends BaseCommand<typeof LocationsList> {
  static summary = 'List locations with their stock'
  static description =
    'Virtual locations (supplier, customer, adjustment, scrap: the other side of receipts, shipments, corrections ' +
    'and write-offs) show with --virtual or --kind.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --warehouse WH1',
    '<%= config.bin %> <%= command.id %> --virtual --all --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    warehouse: warehouseFlag(),
    kind: Flags.string({ description: 'Only this kind of location', options: ['internal', ...VIRTUAL_KINDS] }),
    virtual: Flags.boolean({ description: 'Include the virtual locations' }),
    all: Flags.boolean({ description: 'Include inactive locations' }),
  }

  async run(): Promise<LocationsListResult> {
    const f = this.flags
    const locations = await this.inTenant(
      (trx) => listLocations(trx, { warehouse: f.warehouse, kind: f.kind as LocationKind | undefined, includeVirtual: f.virtual, includeInactive: f.all }),
      { access: 'read' },
    )
    this.printList(locations, LOCATION_COLUMNS, 'No locations.')
    return listResult(locations)
  }
}
