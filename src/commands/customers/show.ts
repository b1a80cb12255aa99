import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { customerRecord } from '../../lib/cli/domains/customers.js'
import { getCustomer, type CustomerDetail } from '../../lib/customers/customers.js'

export type CustomersShowResult = CustomerDetail

export default class CustomersShow extends BaseCommand<typeof CustomersShow> {
  static summary = 'Show one customer with its addresses'
  static description = 'Address ids (#12) are what erp customers address remove|default take.'
  static examples = ['<%= config.bin %> <%= command.id %> C-1001', '<%= config.bin %> <%= command.id %> C-1001 --json']
  static args = { code: Args.string({ description: 'Customer code', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<CustomersShowResult> {
    const customer = await this.inTenant((trx) => getCustomer(trx, this.args.code), { access: 'read' })
    this.printRecord(customerRecord(customer))
    return customer
  }
}
