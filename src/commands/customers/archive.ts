import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setCustomerArchived, type CustomerArchiveOutcome } from '../../lib/customers/customers.js'

export type CustomersArchiveResult = CustomerArchiveOutcome

export default class CustomersArchive extends BaseCommand<typeof CustomersArchive> {
  static summary = 'Archive a customer: hidden from lists, no longer changeable'
  static description = 'Reversible with erp customers restore. The customer keeps its history and addresses.'
  static examples = ['<%= config.bin %> <%= command.id %> C-1001', '<%= config.bin %> <%= command.id %> C-1001 --json']
  static audited = true
  static args = { code: Args.string({ description: 'Customer code', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<CustomersArchiveResult> {
    const outcome = await this.inTenant((trx) => setCustomerArchived(trx, this.args.code, true))
    this.log(outcome.changed ? `Archived customer ${outcome.customer.code}.` : `Customer ${outcome.customer.code} was already archived.`)
    return outcome
  }
}
