import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setTaxRate, type TaxRate } from '../../lib/pricing/taxes.js'

export type TaxesSetResult = TaxRate

export default class TaxesSet extends BaseCommand<typeof TaxesSet> {
  static summary = 'Set the tax rate of a tax class'
  static description =
    'Rates are percentages (0–100, up to 4 decimals). Products name their tax class (standard by default); ' +
    'the zero class exists in every tenant and is always 0. Changing a rate affects quotes from now on.'
  static examples = [
    '<%= config.bin %> <%= command.id %> standard 20 --tenant acme',
    '<%= config.bin %> <%= command.id %> reduced 5.5 --tenant acme --json',
  ]
  static audited = true
  static args = {
    taxClass: Args.string({ description: 'Tax class, e.g. standard, reduced', required: true }),
    rate: Args.string({ description: 'Rate in percent, e.g. 20', required: true }),
  }
  static flags = { tenant: tenantFlag }

  async run(): Promise<TaxesSetResult> {
    const rate = await this.inTenant((trx) => setTaxRate(trx, { taxClass: this.args.taxClass, rate: this.args.rate }))
    this.log(`Tax class ${rate.taxClass}: ${rate.rate}%`)
    return rate
  }
}
