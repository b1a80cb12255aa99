import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { allTenantsFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import {
  groupByVersion, tenantMigrationStatus, type MigrationVersionGroup, type TenantMigrationStatus,
} from '../../lib/tenants/migrate.js'

export type MigrateStatusResult = ListResult<TenantMigrationStatus> | ListResult<MigrationVersionGroup>

const COLUMNS: Column<TenantMigrationStatus>[] = [
  { key: 'tenant' },
  { key: 'version' },
  { key: 'applied', align: 'right' },
  { key: 'pendingCount', get: (r) => r.pending.length, align: 'right' },
  { key: 'pending', get: (r) => r.pending.join(' ') },
]

const GROUP_COLUMNS: Column<MigrationVersionGroup>[] = [
  { key: 'version' },
  { key: 'tenants', align: 'right' },
  { key: 'pendingCount', get: (r) => r.pending.length, align: 'right' },
  { key: 'pending', get: (r) => r.pending.join(' ') },
  { key: 'examples', get: (r) => r.examples.join(' ') },
]

export default class MigrateStatus extends BaseCommand<typeof MigrateStatus> {
  static summary = 'Show applied and pending migrations per tenant'
  static description = 'Reads every tenant\'s migration table in one query. Without --tenant, an admin sees all tenants.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --tenant acme --json',
    '<%= config.bin %> <%= command.id %> --pending-only --output csv',
    '<%= config.bin %> <%= command.id %> --all-tenants --by-version',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    'pending-only': Flags.boolean({ description: 'Only tenants with pending migrations' }),
    'by-version': Flags.boolean({ description: 'One row per schema version: how many tenants are on it, and what they lack' }),
  }

  async run(): Promise<MigrateStatusResult> {
    const db = await this.db()
    // An admin without --tenant sees the whole fleet.
    const all = this.flags['all-tenants'] || (!this.flags.tenant && db.scope.kind === 'admin')
    const tenants = await this.selectedTenants({ tenant: this.flags.tenant, 'all-tenants': all })
    let status = await tenantMigrationStatus(db, tenants)
    const ahead = status.filter((s) => s.unknown.length > 0)
    if (ahead.length) {
      const shown = ahead.slice(0, 5).map((s) => `${s.tenant} (${s.unknown.join(', ')})`).join('; ')
      this.warning(
        `${ahead.length} tenant(s) were migrated by a newer erp, with migrations this erp does not know; writes to them are refused: ` +
          `${shown}${ahead.length > 5 ? '; …' : ''}`,
      )
    }
    if (this.flags['pending-only']) status = status.filter((s) => s.pending.length > 0)
    if (this.flags['by-version']) {
      const groups = groupByVersion(status)
      this.printList(groups, GROUP_COLUMNS, 'No tenants.')
      return listResult(groups)
    }
    this.printList(status, COLUMNS, 'No tenants.')
    return listResult(status)
  }
}
