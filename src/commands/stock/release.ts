import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { RESERVATION_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { release, type Reservation } from '../../lib/stock/reservations.js'

export type StockReleaseResult = ListResult<Reservation>

export default class StockRelease extends BaseCommand<typeof StockRelease> {
  static summary = 'Give back the stock a document holds'
  static description = 'Releases all of the reference\'s reservations, or only those of the --sku given. Releasing nothing is not an error.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --reference SO-1001',
    '<%= config.bin %> <%= command.id %> --reference SO-1001 --sku ABC-1 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    reference: Flags.string({ char: 'r', description: 'The document whose reservations to release', required: true }),
    sku: Flags.string({ char: 's', description: 'Only this product; repeat for more', multiple: true }),
  }

  async run(): Promise<StockReleaseResult> {
    const released = await this.inTenant((trx) => release(trx, { reference: this.flags.reference, skus: this.flags.sku }))
    if (released.length === 0) this.warning(`Nothing is reserved for ${this.flags.reference}${this.flags.sku ? ` (${this.flags.sku.join(', ')})` : ''}.`)
    else {
      this.log(`Released for ${this.flags.reference}:`)
      this.printList(released, RESERVATION_COLUMNS, '')
    }
    return listResult(released)
  }
}
