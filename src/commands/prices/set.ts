import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setPrice, type PriceItem } from '../../lib/pricing/prices.js'

export type PricesSetResult = PriceItem

export default class PricesSet extends BaseCommand<typeof PricesSet> {
  static summary = "Set a product's price in a price list, optionally as a quantity break or for a period"
  static description =
    'The price is in the list\'s currency and tax basis (gross for a tax-inclusive list), zero or more, up to 4 decimals. ' +
    'An item is keyed by list, product, --min-qty and --from: setting the same key again changes its price and --to.\n' +
    'Which item prices a line: among those valid on the date (--from/--to inclusive) whose --min-qty the quantity ' +
    'reaches, the highest break; among equal breaks, the one starting latest (an undated item is the oldest), ' +
    'so a dated price overrides the open-ended one while it lasts.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --list RETAIL --sku CHAIR-01 --price 49.90 --tenant acme',
    '<%= config.bin %> <%= command.id %> --list RETAIL --sku CHAIR-01 --price 44.90 --min-qty 10 --tenant acme',
    '<%= config.bin %> <%= command.id %> --list RETAIL --sku CHAIR-01 --price 39.90 --from 2026-12-01 --to 2026-12-31 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    list: Flags.string({ description: 'Price list code', required: true }),
    sku: Flags.string({ description: 'Product SKU', required: true }),
    price: Flags.string({ description: 'Unit price, e.g. 9.99', required: true }),
    'min-qty': Flags.string({ description: 'Quantity break: applies from this quantity on (default 0: any quantity)' }),
    from: Flags.string({ description: 'First day it applies (YYYY-MM-DD)' }),
    to: Flags.string({ description: 'Last day it applies, inclusive (YYYY-MM-DD)' }),
  }

  async run(): Promise<PricesSetResult> {
    const item = await this.inTenant((trx) =>
      setPrice(trx, {
        priceList: this.flags.list, sku: this.flags.sku, price: this.flags.price,
        minQty: this.flags['min-qty'], validFrom: this.flags.from, validTo: this.flags.to,
      }),
    )
    this.log(`${item.priceList} ${item.sku}: ${item.price} ${item.currency} from qty ${item.minQty}${item.validFrom || item.validTo ? ` (${item.validFrom ?? '…'}..${item.validTo ?? '…'})` : ''}`)
    return item
  }
}
