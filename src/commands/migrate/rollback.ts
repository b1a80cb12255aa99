import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, dryRunFlag, tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import type { TenantRollbackRow } from '../../lib/tenants/rollback.js'

export interface MigrateRollbackResult {
  /** The folder backups went to (none with --no-backup or --dry-run). */
  backupDir?: string
  tenants: TenantRollbackRow[]
  failed: number
}

const COLUMNS: Column<TenantRollbackRow>[] = [
  { key: 'tenant' },
  { key: 'status' },
  { key: 'batch', align: 'right' },
  { key: 'applied', get: (r) => (r.applied.length ? r.applied.join(' ') : '-') },
  { key: 'backup' },
  { key: 'error' },
  { key: 'durationMs', align: 'right' },
]

export default class MigrateRollback extends BaseCommand<typeof MigrateRollback> {
  static summary = 'Undo the last batch of migrations of one tenant or all tenants, after a backup'
  static description =
    "Runs each migration's down() of the tenant's last batch, newest first, in one transaction per tenant. " +
    "A tenant's base batch (the one that provisioned it) is never rolled back: that would drop every table and leave an " +
    'active tenant that cannot work; restore a backup or delete the tenant instead. Each tenant is backed up first ' +
    '(see erp backup; any down() may drop a table, a column or rows) into --backup-dir, unless --no-backup. ' +
    '--dry-run shows what would be rolled back and changes nothing.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --dry-run',
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --yes --backup-dir /var/backups/erp',
    '<%= config.bin %> <%= command.id %> --tenant scratch --no-backup --yes',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
    'dry-run': dryRunFlag,
    yes: yesFlag,
    backup: Flags.boolean({ description: 'Back each tenant up before its rollback (--no-backup to skip)', default: true, allowNo: true }),
    'backup-dir': Flags.string({
      description: 'Folder for those backups (ERP_BACKUP_DIR, or backups/ in the data folder)',
      helpValue: '<dir>',
      env: 'ERP_BACKUP_DIR',
    }),
  }

  async run(): Promise<MigrateRollbackResult> {
    const { flags } = this
    // A backup holds one connection per tenant besides the rollback's own.
    const db = await this.db({ poolMax: flags.concurrency * 2 + 1 })
    const tenants = await this.selectedTenants(flags)
    const dryRun = flags['dry-run']
    const { defaultBackupDir } = await import('../../lib/backup/format.js')
    const backupDir = flags.backup && !dryRun ? flags['backup-dir'] ?? (await defaultBackupDir()) : undefined
    if (!dryRun) {
      await confirmOrFail(
        `Roll back the last migration batch of ${tenants.length} tenant(s)? ` +
          (backupDir ? `Each is backed up to ${backupDir} first.` : 'Data in dropped objects is lost: no backup is taken.'),
        { yes: flags.yes },
      )
    }
    const { rollbackTenants } = await import('../../lib/tenants/rollback.js')
    const { rows, errors } = await rollbackTenants(db, tenants, {
      concurrency: flags.concurrency,
      dryRun,
      backup: backupDir ? { outDir: backupDir, toolVersion: this.config.version } : undefined,
      warn: (m) => this.warnOnce(m),
    })
    // One tenant: its refusal or failure is the command's error (kind, actions, exit code).
    if (!flags['all-tenants'] && errors.size === 1) throw errors.values().next().value
    const failed = rows.filter((r) => r.status === 'failed').length
    if (failed) this.exitStatus = ExitCode.FAILURE
    this.printList(rows, COLUMNS, 'No tenants.')
    return { backupDir, tenants: rows, failed }
  }
}
