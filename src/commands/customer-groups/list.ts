import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { GROUP_COLUMNS } from '../../lib/cli/domains/customers.js'
import { listCustomerGroups, type CustomerGroup } from '../../lib/customers/groups.js'

export type CustomerGroupsListResult = ListResult<CustomerGroup>

export default class CustomerGroupsList extends BaseCommand<typeof CustomerGroupsList> {
  static summary = 'List customer groups'
  static description = 'customers counts the members that are not archived.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = { tenant: tenantFlag, ...listFlags }

  async run(): Promise<CustomerGroupsListResult> {
    const groups = await this.inTenant((trx) => listCustomerGroups(trx), { access: 'read' })
    this.printList(groups, GROUP_COLUMNS, 'No customer groups yet. Create one with: erp customer-groups create <code> --name <name>')
    return listResult(groups)
  }
}
