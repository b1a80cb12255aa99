import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createPriceList, type PriceList } from '../../lib/pricing/price-lists.js'

export type PriceListsCreateResult = PriceList

export default class PriceListsCreate extends BaseCommand<typeof PriceListsCreate> {
  static summary = 'Create a price list'
  static description =
    'A list has a currency and a tax basis: its prices are net, or gross with --tax-inclusive. ' +
    "The tenant's first list becomes its default; --default moves the default to the new list. " +
    'The default list prices customers whose group has no list, and products missing from a group\'s list ' +
    '(when both lists share a currency). Point a customer group at a list with erp customer-groups.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --code RETAIL --currency EUR --tax-inclusive --default --tenant acme',
    '<%= config.bin %> <%= command.id %> --code WHOLESALE --name "Trade prices" --currency EUR --tenant acme --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    code: Flags.string({ description: 'Unique code, e.g. RETAIL', required: true }),
    name: Flags.string({ description: 'Display name (the code by default)' }),
    currency: Flags.string({ description: 'ISO 4217 currency code, e.g. EUR', required: true }),
    'tax-inclusive': Flags.boolean({ description: 'Prices include tax (gross)' }),
    default: Flags.boolean({ description: "Make it the tenant's default list" }),
  }

  async run(): Promise<PriceListsCreateResult> {
    const list = await this.inTenant((trx) =>
      createPriceList(trx, {
        code: this.flags.code, name: this.flags.name, currency: this.flags.currency,
        taxInclusive: this.flags['tax-inclusive'], isDefault: this.flags.default,
      }),
    )
    this.log(`Created price list ${list.code} (${list.currency}, ${list.taxInclusive ? 'tax-inclusive' : 'net'}${list.isDefault ? ', default' : ''})`)
    return list
  }
}
