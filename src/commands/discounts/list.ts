import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { DISCOUNT_COLUMNS } from '../../lib/cli/domains/pricing-columns.js'
import { listDiscounts, type Discount } from '../../lib/pricing/discounts.js'

export type DiscountsListResult = ListResult<Discount>

export default class DiscountsList extends BaseCommand<typeof DiscountsList> {
  static summary = 'List discounts and promotions'
  static description = 'Active (not archived) ones by default, by priority then code.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --date 2026-12-24 --columns code,scope,target,value',
    '<%= config.bin %> <%= command.id %> --all --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    all: Flags.boolean({ description: 'Archived discounts too' }),
    date: Flags.string({ description: 'Only those valid on this date (YYYY-MM-DD)' }),
  }

  async run(): Promise<DiscountsListResult> {
    const discounts = await this.inTenant((trx) => listDiscounts(trx, { all: this.flags.all, date: this.flags.date }), { access: 'read' })
    this.printList(discounts, DISCOUNT_COLUMNS, 'No discounts.')
    return listResult(discounts)
  }
}
