import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setCustomerArchived, type CustomerArchiveOutcome } from '../../lib/customers/customers.js'

export type CustomersRestoreResult = CustomerArchiveOutcome

export default class CustomersRestore extends BaseCommand<typeof CustomersRestore> {
  static summary = 'Restore an archived customer'
  static description = 'The customer shows in lists again and can be changed.'
  static examples = ['<%= config.bin %> <%= command.id %> C-1001', '<%= config.bin %> <%= command.id %> C-1001 --json']
  static audited = true
  static args = { code: Args.string({ description: 'Customer code', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<CustomersRestoreResult> {
    const outcome = await this.inTenant((trx) => setCustomerArchived(trx, this.args.code, false))
    this.log(outcome.changed ? `Restored customer ${outcome.customer.code}.` : `Customer ${outcome.customer.code} was already restored.`)
    return outcome
  }
}
