import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MIGRATION_RUN_COLUMNS, toMigrationRow, type TenantMigrationRow } from '../../lib/cli/migration-columns.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { migrateTenants } from '../../lib/tenants/migrate.js'

export interface MigrateRollbackResult {
  tenants: TenantMigrationRow[]
  failed: number
}

export default class MigrateRollback extends BaseCommand<typeof MigrateRollback> {
  static summary = 'Undo the last batch of migrations of one tenant or all tenants'
  static description = "Runs each migration's down() of the tenant's last batch, newest first, in one transaction per tenant."
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --yes',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
    yes: yesFlag,
  }

  async run(): Promise<MigrateRollbackResult> {
    const db = await this.db({ poolMax: this.flags.concurrency + 1 })
    const tenants = await this.selectedTenants(this.flags)
    await confirmOrFail(`Roll back the last migration batch of ${tenants.length} tenant(s)? Data in dropped objects is lost.`, {
      yes: this.flags.yes,
    })
    const outcomes = await migrateTenants(db, tenants.map((t) => t.slug), { direction: 'rollback', concurrency: this.flags.concurrency })
    const rows = outcomes.map(toMigrationRow)
    const failed = rows.filter((r) => r.status === 'failed').length
    if (failed) this.exitStatus = ExitCode.FAILURE
    this.printList(rows, MIGRATION_RUN_COLUMNS, 'No tenants.')
    return { tenants: rows, failed }
  }
}
