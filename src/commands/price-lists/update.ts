import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { updatePriceList, type PriceList } from '../../lib/pricing/price-lists.js'

export type PriceListsUpdateResult = PriceList

export default class PriceListsUpdate extends BaseCommand<typeof PriceListsUpdate> {
  static summary = 'Rename a price list, change its tax basis, or make it the default'
  static description =
    'The currency cannot change: the list\'s prices are in it (create another list instead). ' +
    'Switching --tax-inclusive reinterprets every price of the list as gross (or net) from now on.'
  static examples = [
    '<%= config.bin %> <%= command.id %> WHOLESALE --default --tenant acme',
    '<%= config.bin %> <%= command.id %> RETAIL --name "Shop prices" --no-tax-inclusive --tenant acme --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Price list code', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ description: 'New display name' }),
    'tax-inclusive': Flags.boolean({ description: 'Prices include tax (--no-tax-inclusive: net)', allowNo: true }),
    default: Flags.boolean({ description: "Make it the tenant's default list" }),
  }

  async run(): Promise<PriceListsUpdateResult> {
    const list = await this.inTenant((trx) =>
      updatePriceList(trx, this.args.code, {
        name: this.flags.name, taxInclusive: this.flags['tax-inclusive'], isDefault: this.flags.default ? true : undefined,
      }),
    )
    this.log(`Updated price list ${list.code} (${list.currency}, ${list.taxInclusive ? 'tax-inclusive' : 'net'}${list.isDefault ? ', default' : ''})`)
    return list
  }
}
