import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { updateCustomerGroup, type CustomerGroup } from '../../lib/customers/groups.js'

export type CustomerGroupsUpdateResult = CustomerGroup

export default class CustomerGroupsUpdate extends BaseCommand<typeof CustomerGroupsUpdate> {
  static summary = 'Change a customer group'
  static description =
    'Changes a group\'s name and/or its discount in percent (0-100), in one transaction; pass at least one of --name and --discount.'
  static examples = [
    '<%= config.bin %> <%= command.id %> wholesale --discount 15',
    '<%= config.bin %> <%= command.id %> retail --name "Retail customers" --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Group code', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ char: 'n', description: 'Group name' }),
    discount: Flags.string({ description: 'Discount in percent (0–100)', helpValue: '<percent>' }),
  }

  async run(): Promise<CustomerGroupsUpdateResult> {
    const group = await this.inTenant((trx) =>
      updateCustomerGroup(trx, { code: this.args.code, name: this.flags.name, discountPercent: this.flags.discount }),
    )
    this.log(`Updated customer group ${group.code}.`)
    return group
  }
}
