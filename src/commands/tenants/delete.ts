import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { formatDuration } from '../../lib/cli/duration.js'
import { durationFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { DEFAULT_GRACE_MS, deleteTenant, type DeletedTenant } from '../../lib/tenants/deletion.js'

export type TenantsDeleteResult = DeletedTenant

export default class TenantsDelete extends BaseCommand<typeof TenantsDelete> {
  static summary = 'Delete a tenant, keeping it for a grace period (or drop it at once with --purge)'
  static description =
    'The schema is renamed to deleted_<slug>_<yyyymmddhhmmss>, the login role loses LOGIN and its sessions end, and the ' +
    'registry marks the tenant deleted. It stays recoverable with `erp tenants undelete` for --grace (7 days by default); ' +
    '`erp tenants purge-deleted` drops it after that. --purge drops schema, roles and registry row at once, after a final ' +
    'backup (see erp backup) unless --no-backup; with --no-backup it also finishes off a tenant already deleted. ' +
    'Asks for confirmation on a terminal; scripts pass --yes.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme',
    '<%= config.bin %> <%= command.id %> acme --grace 30d --yes --json',
    '<%= config.bin %> <%= command.id %> acme --purge --yes --backup-dir /var/backups/erp',
    '<%= config.bin %> <%= command.id %> acme --purge --no-backup --yes',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    yes: yesFlag,
    grace: durationFlag({ description: 'How long the deleted tenant is kept before purge-deleted may drop it', default: DEFAULT_GRACE_MS, exclusive: ['purge'] }),
    purge: Flags.boolean({ description: 'Drop schema, roles and registry row now, with no grace period' }),
    backup: Flags.boolean({ description: 'Take a final backup before --purge (--no-backup to skip)', default: true, allowNo: true }),
    'backup-dir': Flags.string({
      description: 'Folder for the final backup of --purge (ERP_BACKUP_DIR, or backups/ in the data folder)',
      helpValue: '<dir>',
      env: 'ERP_BACKUP_DIR',
    }),
  }

  async run(): Promise<TenantsDeleteResult> {
    const { slug } = this.args
    this.auditTenant = slug
    const { purge, backup } = this.flags
    const db = await this.db({ poolMax: 4 })
    await confirmOrFail(
      purge
        ? `Drop tenant "${slug}" and all of its data now${backup ? ' (after a final backup)' : ', with no backup and no way back'}?`
        : `Delete tenant "${slug}"? It can be undeleted for ${formatDuration(this.flags.grace)}.`,
      { yes: this.flags.yes },
    )
    const { defaultBackupDir } = await import('../../lib/backup/format.js')
    const finalBackup = purge && backup
      ? { outDir: this.flags['backup-dir'] ?? (await defaultBackupDir()), toolVersion: this.config.version }
      : undefined
    const tenant = await deleteTenant(db, slug, { purge, graceMs: this.flags.grace, finalBackup })
    this.log(
      tenant.purged
        ? `Purged tenant ${slug}: schema, roles and registry row dropped${tenant.finalBackup ? `; final backup ${tenant.finalBackup}` : ''}.`
        : `Deleted tenant ${slug}: kept as schema ${tenant.schema} until ${tenant.purgeAfter!.toISOString()} (erp tenants undelete ${slug}).`,
    )
    return tenant
  }
}
