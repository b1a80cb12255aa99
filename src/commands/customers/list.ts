import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { CUSTOMER_COLUMNS } from '../../lib/cli/domains/customers.js'
import { listCustomers, type CustomerPage } from '../../lib/customers/customers.js'

export type CustomersListResult = CustomerPage

export default class CustomersList extends BaseCommand<typeof CustomersList> {
  static summary = 'List customers, a page at a time'
  static description =
    'Customers in code order; archived ones only with --archived. --search matches the start of the code or ' +
    'name, ignoring case. When more match, the next page starts --after the printed code.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --group retail',
    '<%= config.bin %> <%= command.id %> --search bistro --output csv',
    '<%= config.bin %> <%= command.id %> --after C-1050 --limit 100 --json',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    group: Flags.string({ char: 'g', description: 'Only customers of this group', helpValue: '<code>' }),
    search: Flags.string({ char: 's', description: 'Start of the code or name (case-insensitive)' }),
    archived: Flags.boolean({ description: 'Archived customers only' }),
    limit: Flags.integer({ char: 'l', description: 'Customers per page', default: 50, min: 1, max: 1000 }),
    after: Flags.string({ description: 'Code of the last customer of the previous page', helpValue: '<code>' }),
  }

  async run(): Promise<CustomersListResult> {
    const { flags } = this
    const page = await this.inTenant(
      (trx) => listCustomers(trx, { group: flags.group, search: flags.search, archived: flags.archived, limit: flags.limit, after: flags.after }),
      { access: 'read' },
    )
    this.printList(page.items, CUSTOMER_COLUMNS, 'No customers match.')
    if (page.nextCursor) this.note(`More customers: --after ${page.nextCursor}`)
    return page
  }
}
