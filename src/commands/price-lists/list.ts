import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { PRICE_LIST_COLUMNS } from '../../lib/cli/domains/pricing-columns.js'
import { listPriceLists, type PriceList } from '../../lib/pricing/price-lists.js'

export type PriceListsListResult = ListResult<PriceList>

export default class PriceListsList extends BaseCommand<typeof PriceListsList> {
  static summary = 'List price lists'
  static description = 'With their currency, tax basis, default flag, number of prices and of customer groups using them.'
  static examples = ['<%= config.bin %> <%= command.id %> --tenant acme', '<%= config.bin %> <%= command.id %> --tenant acme --json']
  static flags = { ...listFlags, tenant: tenantFlag }

  async run(): Promise<PriceListsListResult> {
    const lists = await this.inTenant((trx) => listPriceLists(trx), { access: 'read' })
    this.printList(lists, PRICE_LIST_COLUMNS, 'No price lists. Create one with: erp price-lists create --code RETAIL --currency EUR')
    return listResult(lists)
  }
}
