import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { assignPriceList, type GroupPriceList } from '../../lib/pricing/price-lists.js'

export type PriceListsAssignResult = ListResult<GroupPriceList>

export default class PriceListsAssign extends BaseCommand<typeof PriceListsAssign> {
  static summary = 'Point customer groups at a price list'
  static description =
    "A group's customers are priced from its list; products missing from it come from the default list " +
    '(same currency only). --none points the groups back at the default list.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WHOLESALE --group TRADE --group RESELLER --tenant acme',
    '<%= config.bin %> <%= command.id %> --none --group TRADE --json',
  ]
  static audited = true
  static args = { list: Args.string({ description: 'Price list code' }) }
  static flags = {
    tenant: tenantFlag,
    group: Flags.string({ char: 'g', description: 'Customer group code, repeatable', multiple: true, required: true }),
    none: Flags.boolean({ description: 'Unassign: the groups use the default list' }),
  }

  async run(): Promise<PriceListsAssignResult> {
    const { list } = this.args
    if ((list === undefined) === !this.flags.none) throw usageError('Give a price list code, or --none (not both).')
    const rows = await this.inTenant((trx) => assignPriceList(trx, this.flags.none ? null : list!, this.flags.group))
    for (const row of rows) this.log(`${row.group} → ${row.priceList ?? '(default list)'}`)
    return listResult(rows)
  }
}
