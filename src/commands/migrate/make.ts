import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { makeMigration } from '../../lib/db/migrator.js'

export interface MigrateMakeResult {
  file: string
}

export default class MigrateMake extends BaseCommand<typeof MigrateMake> {
  static summary = 'Create a new, empty migration file'
  static description =
    'Tenant migrations live in migrations/tenant and run inside each tenant schema; registry migrations in migrations/registry.'
  static examples = ['<%= config.bin %> <%= command.id %> add_customer_vat_number', '<%= config.bin %> <%= command.id %> audit_index --registry']
  static args = { name: Args.string({ description: 'What the migration does, snake_case', required: true }) }
  static flags = { registry: Flags.boolean({ description: 'A registry migration instead of a tenant one' }) }

  async run(): Promise<MigrateMakeResult> {
    const file = await makeMigration(this.flags.registry ? 'registry' : 'tenant', this.args.name)
    this.log(file)
    return { file }
  }
}
