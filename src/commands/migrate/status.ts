import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { allTenantsFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { tenantMigrationStatus, type TenantMigrationStatus } from '../../lib/tenants/migrate.js'

export type MigrateStatusResult = TenantMigrationStatus[]

const COLUMNS: Column<TenantMigrationStatus>[] = [
  { key: 'tenant' },
  { key: 'version' },
  { key: 'applied', align: 'right' },
  { key: 'pendingCount', header: 'pending', get: (r) => r.pending.length, align: 'right' },
  { key: 'pending', header: 'pending migrations', get: (r) => r.pending.join(' ') },
]

export default class MigrateStatus extends BaseCommand<typeof MigrateStatus> {
  static summary = 'Show applied and pending migrations per tenant'
  static description = 'Reads every tenant\'s migration table in one query. Without --tenant, an admin sees all tenants.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --tenant acme --json',
    '<%= config.bin %> <%= command.id %> --pending-only --output csv',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    'pending-only': Flags.boolean({ description: 'Only tenants with pending migrations' }),
  }

  async run(): Promise<MigrateStatusResult> {
    const db = await this.db()
    // An admin without --tenant sees the whole fleet.
    const all = this.flags['all-tenants'] || (!this.flags.tenant && db.scope.kind === 'admin')
    const tenants = await this.selectedTenants({ tenant: this.flags.tenant, 'all-tenants': all })
    let status = await tenantMigrationStatus(db, tenants)
    if (this.flags['pending-only']) status = status.filter((s) => s.pending.length > 0)
    this.printList(status, COLUMNS, 'No tenants.')
    return status
  }
}
