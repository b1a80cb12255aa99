import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { suspendTenant } from '../../lib/tenants/lifecycle.js'
import type { Tenant } from '../../lib/tenants/tenant.js'

export type TenantsSuspendResult = Tenant

export default class TenantsSuspend extends BaseCommand<typeof TenantsSuspend> {
  static summary = 'Suspend a tenant: its logins are refused and its sessions ended'
  static description = "The tenant's login role loses LOGIN and open sessions are terminated; every tenant-scoped command except resume, backups and read-only listing is refused until it is resumed."
  static examples = ['<%= config.bin %> <%= command.id %> acme']
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }

  async run(): Promise<TenantsSuspendResult> {
    this.auditTenant = this.args.slug
    const tenant = await suspendTenant(await this.db(), this.args.slug)
    this.log(`Tenant ${tenant.slug} is now ${tenant.status}.`)
    return tenant
  }
}
