import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { formatDuration } from '../../lib/cli/duration.js'
import { durationFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { DEFAULT_GRACE_MS, deleteTenant, purgeNeedsBackupError, type DeletedTenant } from '../../lib/tenants/deletion.js'

export type TenantsDeleteResult = DeletedTenant

export default class TenantsDelete extends BaseCommand<typeof TenantsDelete> {
  static summary = 'Delete a tenant, keeping it for a grace period (or drop it at once with --purge)'
  static description =
    'The schema is renamed to deleted_<slug>_<yyyymmddhhmmss>, the login role loses LOGIN and its sessions end, and the ' +
    'registry marks the tenant deleted. It stays recoverable with `erp tenants undelete` for --grace (7 days by default); ' +
    '`erp tenants purge-deleted` drops it after that. --purge drops schema, roles and registry row at once (also for a ' +
    'tenant already deleted); it would take a final backup first, which this version cannot do yet, so it needs --no-backup. ' +
    'Asks for confirmation on a terminal; scripts pass --yes.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme',
    '<%= config.bin %> <%= command.id %> acme --grace 30d --yes --json',
    '<%= config.bin %> <%= command.id %> acme --purge --no-backup --yes',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    yes: yesFlag,
    grace: durationFlag({ description: 'How long the deleted tenant is kept before purge-deleted may drop it', default: DEFAULT_GRACE_MS, exclusive: ['purge'] }),
    purge: Flags.boolean({ description: 'Drop schema, roles and registry row now, with no grace period' }),
    backup: Flags.boolean({ description: 'Take a final backup before --purge (--no-backup to skip)', default: true, allowNo: true }),
  }

  async run(): Promise<TenantsDeleteResult> {
    const { slug } = this.args
    this.auditTenant = slug
    if (this.flags.purge && this.flags.backup) throw purgeNeedsBackupError()
    const db = await this.db()
    await confirmOrFail(
      this.flags.purge
        ? `Drop tenant "${slug}" and all of its data now, with no backup and no way back?`
        : `Delete tenant "${slug}"? It can be undeleted for ${formatDuration(this.flags.grace)}.`,
      { yes: this.flags.yes },
    )
    const tenant = await deleteTenant(db, slug, { purge: this.flags.purge, graceMs: this.flags.grace })
    this.log(
      tenant.purged
        ? `Purged tenant ${slug}: schema, roles and registry row dropped.`
        : `Deleted tenant ${slug}: kept as schema ${tenant.schema} until ${tenant.purgeAfter!.toISOString()} (erp tenants undelete ${slug}).`,
    )
    return tenant
  }
}
