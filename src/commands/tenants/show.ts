import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { assertInScope } from '../../lib/db/tenant-scope.js'
import { getTenant, type Tenant } from '../../lib/tenants/tenant.js'

export type TenantsShowResult = Tenant

export default class TenantsShow extends BaseCommand<typeof TenantsShow> {
  static summary = 'Show one tenant'
  static description =
    'The tenant\'s registry record: slug, name, plan, status (active or suspended), schema, and timestamps. A deleted tenant is reported as not found, with its purge date and how to bring it back. A tenant profile may only show its own tenant (77 otherwise).'
  static examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --json']
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }

  async run(): Promise<TenantsShowResult> {
    const db = await this.db()
    assertInScope(db.scope, this.args.slug)
    const tenant = await getTenant(db.knex, db.scope, this.args.slug)
    this.printRecord({ ...tenant })
    return tenant
  }
}
