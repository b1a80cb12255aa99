import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { resumeTenant } from '../../lib/tenants/lifecycle.js'
import type { Tenant } from '../../lib/tenants/tenant.js'

export type TenantsResumeResult = Tenant

export default class TenantsResume extends BaseCommand<typeof TenantsResume> {
  static summary = 'Resume a suspended tenant'
  static description = "Gives the tenant's login role LOGIN again and lifts the CLI's refusal."
  static examples = ['<%= config.bin %> <%= command.id %> acme']
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }

  async run(): Promise<TenantsResumeResult> {
    this.auditTenant = this.args.slug
    const tenant = await resumeTenant(await this.db(), this.args.slug)
    this.log(`Tenant ${tenant.slug} is now ${tenant.status}.`)
    return tenant
  }
}
