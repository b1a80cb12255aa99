import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { DELETED_TENANT_COLUMNS, TENANT_COLUMNS } from '../../lib/cli/domains/tenants-columns.js'
import { listTenants, type Tenant } from '../../lib/tenants/tenant.js'

export type TenantsListResult = ListResult<Tenant>

export default class TenantsList extends BaseCommand<typeof TenantsList> {
  static summary = 'List tenants'
  static description = 'A tenant profile sees its own tenant only.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --status suspended --output csv',
    '<%= config.bin %> <%= command.id %> --sort -createdAt --columns slug,name',
    '<%= config.bin %> <%= command.id %> --deleted',
  ]
  static flags = {
    ...listFlags,
    status: Flags.string({ description: 'Only tenants in this state', options: ['active', 'suspended', 'deleted'] }),
    deleted: Flags.boolean({ description: 'Only deleted tenants kept for their grace period (hidden otherwise)', exclusive: ['status'] }),
  }

  async run(): Promise<TenantsListResult> {
    const db = await this.db()
    const status = this.flags.deleted ? 'deleted' : (this.flags.status as Tenant['status'] | undefined)
    const tenants = await listTenants(db.knex, db.scope, { status })
    this.printList(
      tenants,
      status === 'deleted' ? DELETED_TENANT_COLUMNS : TENANT_COLUMNS,
      status === 'deleted' ? 'No deleted tenants.' : 'No tenants yet. Create one with: erp tenants create <slug>',
    )
    if (!status) await rememberForCompletion({ tenants: tenants.map((t) => t.slug) })
    return listResult(tenants)
  }
}
