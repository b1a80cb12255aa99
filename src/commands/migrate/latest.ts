import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MIGRATION_RUN_COLUMNS, toMigrationRow, type TenantMigrationRow } from '../../lib/cli/migration-columns.js'
import { migrateRegistry } from '../../lib/db/registry.js'
import { migrateTenants } from '../../lib/tenants/migrate.js'

export interface MigrateLatestResult {
  registry?: string[]
  tenants: TenantMigrationRow[]
  failed: number
}

export default class MigrateLatest extends BaseCommand<typeof MigrateLatest> {
  static summary = 'Apply pending migrations to one tenant, all tenants, or the registry'
  static description =
    'Each tenant migrates in its own transaction under a per-tenant advisory lock, so concurrent runs are safe. ' +
    'A failing tenant is reported and the others carry on; the exit code is 1 if any tenant failed.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --concurrency 8',
    '<%= config.bin %> <%= command.id %> --registry',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    registry: Flags.boolean({ description: "Migrate the registry schema (erp's own tables)", exclusive: ['tenant', 'all-tenants'] }),
    concurrency: concurrencyFlag,
  }

  async run(): Promise<MigrateLatestResult> {
    const db = await this.db({ poolMax: this.flags.concurrency + 1 })
    if (this.flags.registry) {
      const outcome = await migrateRegistry(db.knex)
      this.log(outcome.applied.length ? `Registry: applied ${outcome.applied.join(', ')}` : 'Registry is up to date.')
      return { registry: outcome.applied, tenants: [], failed: 0 }
    }
    const tenants = await this.selectedTenants(this.flags)
    const progress = await this.progress(`Migrating ${tenants.length} tenant(s)`)
    const outcomes = await migrateTenants(db, tenants.map((t) => t.slug), {
      direction: 'latest',
      concurrency: this.flags.concurrency,
      onTenantDone: (o, n) => progress.update(`Migrating tenants: ${n}/${tenants.length} (${o.tenant} ${o.ok ? 'ok' : 'failed'})`),
    })
    const rows = outcomes.map(toMigrationRow)
    const failed = rows.filter((r) => r.status === 'failed').length
    progress.stop()
    if (failed) this.exitStatus = ExitCode.FAILURE
    this.printList(rows, MIGRATION_RUN_COLUMNS, 'No tenants.')
    this.note(`${rows.length - failed} tenant(s) migrated, ${failed} failed.`)
    return { tenants: rows, failed }
  }
}
