import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { archiveDiscount, type Discount } from '../../lib/pricing/discounts.js'

export type DiscountsArchiveResult = Discount

export default class DiscountsArchive extends BaseCommand<typeof DiscountsArchive> {
  static summary = 'Archive a discount: it stops applying at once'
  static description = 'The discount stays on record (erp discounts list --all); orders already priced keep their amounts.'
  static examples = ['<%= config.bin %> <%= command.id %> SUMMER10 --tenant acme', '<%= config.bin %> <%= command.id %> SUMMER10 --json']
  static audited = true
  static args = { code: Args.string({ description: 'Discount code', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<DiscountsArchiveResult> {
    const discount = await this.inTenant((trx) => archiveDiscount(trx, this.args.code))
    this.log(`Archived discount ${discount.code}`)
    return discount
  }
}
