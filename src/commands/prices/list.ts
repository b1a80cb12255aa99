import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { PRICE_ITEM_COLUMNS } from '../../lib/cli/domains/pricing-columns.js'
import { listPrices, type PriceItem } from '../../lib/pricing/prices.js'

export type PricesListResult = ListResult<PriceItem>

export default class PricesList extends BaseCommand<typeof PricesList> {
  static summary = 'List prices (price list items)'
  static description = 'Ordered by list, SKU, quantity break and start date; at most --limit rows (1000 by default).'
  static examples = [
    '<%= config.bin %> <%= command.id %> --list RETAIL --tenant acme',
    '<%= config.bin %> <%= command.id %> --sku CHAIR-01 --date 2026-12-24 --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    list: Flags.string({ description: 'Only this price list' }),
    sku: Flags.string({ description: 'Only this product' }),
    date: Flags.string({ description: 'Only prices valid on this date (YYYY-MM-DD)' }),
    limit: Flags.integer({ description: 'At most this many rows', default: 1000, min: 1, max: 1_000_000 }),
  }

  async run(): Promise<PricesListResult> {
    const items = await this.inTenant(
      (trx) => listPrices(trx, { priceList: this.flags.list, sku: this.flags.sku, date: this.flags.date, limit: this.flags.limit }),
      { access: 'read' },
    )
    this.printList(items, PRICE_ITEM_COLUMNS, 'No prices.')
    return listResult(items)
  }
}
