import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { USER_COLUMNS } from '../../lib/cli/domains/users.js'
import { listUsers, USER_ROLES, type User } from '../../lib/users/users.js'

export type UsersListResult = ListResult<User>

export default class UsersList extends BaseCommand<typeof UsersList> {
  static summary = "List the tenant's ERP users"
  static description =
    'The tenant\'s own ERP users (not database roles): email, name, role, whether they are enabled, whether a password is set, and when they were created. Filter with --role, --enabled or --disabled. Password hashes are never shown.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --role admin --enabled --json',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    role: Flags.string({ char: 'r', description: 'Only users with this role', options: [...USER_ROLES] }),
    enabled: Flags.boolean({ description: 'Enabled users only', exclusive: ['disabled'] }),
    disabled: Flags.boolean({ description: 'Disabled users only', exclusive: ['enabled'] }),
  }

  async run(): Promise<UsersListResult> {
    const disabled = this.flags.disabled ? true : this.flags.enabled ? false : undefined
    const users = await this.inTenant((trx) => listUsers(trx, { role: this.flags.role, disabled }), { access: 'read' })
    this.printList(users, USER_COLUMNS, 'No users yet. Create one with: erp users create <email> --name <name> --role admin')
    return listResult(users)
  }
}
