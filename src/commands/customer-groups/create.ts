import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createCustomerGroup, type CustomerGroup } from '../../lib/customers/groups.js'

export type CustomerGroupsCreateResult = CustomerGroup

export default class CustomerGroupsCreate extends BaseCommand<typeof CustomerGroupsCreate> {
  static summary = 'Create a customer group'
  static description = 'A group gives its customers a discount (a percentage, 0–100, up to 2 decimals) and, through pricing, a price list.'
  static examples = [
    '<%= config.bin %> <%= command.id %> retail --name Retail',
    '<%= config.bin %> <%= command.id %> wholesale --name Wholesale --discount 12.5 --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Group code, unique', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ char: 'n', description: 'Group name', required: true }),
    discount: Flags.string({ description: 'Discount in percent (0–100)', helpValue: '<percent>' }),
  }

  async run(): Promise<CustomerGroupsCreateResult> {
    const group = await this.inTenant((trx) =>
      createCustomerGroup(trx, { code: this.args.code, name: this.flags.name, discountPercent: this.flags.discount }),
    )
    this.log(`Created customer group ${group.code} (discount ${group.discountPercent}%)`)
    return group
  }
}
