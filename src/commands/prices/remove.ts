import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { removePrice, type PriceItem } from '../../lib/pricing/prices.js'

export type PricesRemoveResult = PriceItem

export default class PricesRemove extends BaseCommand<typeof PricesRemove> {
  static summary = 'Remove a price (one price list item)'
  static description =
    'The item is named by its key: list, SKU, --min-qty (0 by default) and --from (none by default), as erp prices list shows. ' +
    'To end a price on a date instead, set it again with --to.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --list RETAIL --sku CHAIR-01 --min-qty 10 --yes --tenant acme',
    '<%= config.bin %> <%= command.id %> --list RETAIL --sku CHAIR-01 --from 2026-12-01 --yes --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    list: Flags.string({ description: 'Price list code', required: true }),
    sku: Flags.string({ description: 'Product SKU', required: true }),
    'min-qty': Flags.string({ description: 'The quantity break of the item (default 0)' }),
    from: Flags.string({ description: 'The start date of the item (YYYY-MM-DD), when it has one' }),
    yes: yesFlag,
  }

  async run(): Promise<PricesRemoveResult> {
    const f = this.flags
    await confirmOrFail(`Remove the price of ${f.sku} in ${f.list} (min qty ${f['min-qty'] ?? '0'}${f.from ? `, from ${f.from}` : ''})?`, { yes: f.yes })
    const item = await this.inTenant((trx) =>
      removePrice(trx, { priceList: f.list, sku: f.sku, minQty: f['min-qty'], validFrom: f.from }),
    )
    this.log(`Removed ${item.priceList} ${item.sku}: ${item.price} ${item.currency} from qty ${item.minQty}`)
    return item
  }
}
