import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { TAX_RATE_COLUMNS } from '../../lib/cli/domains/pricing-columns.js'
import { listTaxRates, type TaxRate } from '../../lib/pricing/taxes.js'

export type TaxesListResult = ListResult<TaxRate>

export default class TaxesList extends BaseCommand<typeof TaxesList> {
  static summary = 'List tax rates by tax class'
  static description =
    'One line per tax class of the tenant (standard, zero, and any set with erp taxes set) with its rate in percent and when it last changed. Products name a tax class; prices and invoices use its rate.'
  static examples = ['<%= config.bin %> <%= command.id %> --tenant acme', '<%= config.bin %> <%= command.id %> --tenant acme --json']
  static flags = { ...listFlags, tenant: tenantFlag }

  async run(): Promise<TaxesListResult> {
    const rates = await this.inTenant((trx) => listTaxRates(trx), { access: 'read' })
    this.printList(rates, TAX_RATE_COLUMNS, 'No tax rates. Set one with: erp taxes set standard 20')
    return listResult(rates)
  }
}
