import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { undeleteTenant, type UndeletedTenant } from '../../lib/tenants/deletion.js'

export type TenantsUndeleteResult = UndeletedTenant

export default class TenantsUndelete extends BaseCommand<typeof TenantsUndelete> {
  static summary = 'Bring back a deleted tenant within its grace period'
  static description =
    'Renames its schema back to tenant_<slug> (which must be free), restores LOGIN to its login role and marks it active ' +
    'again (or suspended, if it was suspended when deleted). Stored credentials work again.'
  static examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --json']
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }

  async run(): Promise<TenantsUndeleteResult> {
    this.auditTenant = this.args.slug
    const tenant = await undeleteTenant(await this.db(), this.args.slug)
    this.log(`Undeleted tenant ${tenant.slug} (${tenant.status}).`)
    if (tenant.pendingMigrations.length) {
      this.warning(
        `${tenant.slug} missed ${tenant.pendingMigrations.length} migration(s) while deleted: erp migrate latest --tenant ${tenant.slug}`,
      )
    }
    return tenant
  }
}
