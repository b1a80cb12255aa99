import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { createTenant, type CreatedTenant } from '../../lib/tenants/provision.js'

export type TenantsCreateResult = CreatedTenant

export default class TenantsCreate extends BaseCommand<typeof TenantsCreate> {
  static summary = 'Provision a tenant: registry row, schema, owner role, all migrations'
  static description =
    'Creates the tenant in one transaction: if any step fails nothing is left behind. ' +
    'Slugs are 2–40 characters: lowercase letters, digits and single underscores, starting with a letter.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme --name "Acme Ltd"',
    '<%= config.bin %> <%= command.id %> acme_uk --name "Acme UK" --plan pro --json',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    name: Flags.string({ description: 'Display name (the slug by default)' }),
    plan: Flags.string({ description: 'Plan name, for billing' }),
  }

  async run(): Promise<TenantsCreateResult> {
    this.auditTenant = this.args.slug
    const tenant = await createTenant(await this.db(), { slug: this.args.slug, name: this.flags.name, plan: this.flags.plan })
    this.log(`Created tenant ${tenant.slug} (schema ${tenant.schema}, ${tenant.migrations.length} migrations applied)`)
    return tenant
  }
}
