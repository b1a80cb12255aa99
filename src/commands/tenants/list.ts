import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { TENANT_COLUMNS } from '../../lib/tenants/columns.js'
import { listTenants, type Tenant } from '../../lib/tenants/tenant.js'

export type TenantsListResult = Tenant[]

export default class TenantsList extends BaseCommand<typeof TenantsList> {
  static summary = 'List tenants'
  static description = 'A tenant profile sees its own tenant only.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --status suspended --output csv',
    '<%= config.bin %> <%= command.id %> --sort -createdAt --columns slug,name',
  ]
  static flags = {
    ...listFlags,
    status: Flags.string({ description: 'Only tenants in this state', options: ['active', 'suspended'] }),
  }

  async run(): Promise<TenantsListResult> {
    const db = await this.db()
    const tenants = await listTenants(db.knex, db.scope, { status: this.flags.status as Tenant['status'] | undefined })
    this.printList(tenants, TENANT_COLUMNS, 'No tenants yet. Create one with: erp tenants create <slug>')
    return tenants
  }
}
