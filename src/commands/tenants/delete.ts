import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { deleteTenant } from '../../lib/tenants/provision.js'
import type { Tenant } from '../../lib/tenants/tenant.js'

export type TenantsDeleteResult = Tenant

export default class TenantsDelete extends BaseCommand<typeof TenantsDelete> {
  static summary = "Delete a tenant: its schema, all its data and its roles"
  static description = 'Asks for confirmation on a terminal; scripts pass --yes. Take a backup first if the data may be needed.'
  static examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --yes --json']
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = { yes: yesFlag }

  async run(): Promise<TenantsDeleteResult> {
    this.auditTenant = this.args.slug
    const db = await this.db()
    await confirmOrFail(`Delete tenant "${this.args.slug}" and all of its data?`, { yes: this.flags.yes })
    const tenant = await deleteTenant(db, this.args.slug)
    this.log(`Deleted tenant ${tenant.slug}.`)
    return tenant
  }
}
