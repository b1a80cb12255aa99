import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { cloneTenant, type CloneResult } from '../../lib/tenants/clone.js'

export type TenantsCloneResult = CloneResult

export default class TenantsClone extends BaseCommand<typeof TenantsClone> {
  static summary = 'Copy a tenant, schema and data, under a new slug'
  static description =
    'The copy is made from one snapshot of the source, in one transaction: it appears whole or not at all. ' +
    'With --mask, personal data in the copy is replaced, in the same transaction, by fakes derived from each row id (for staging and support).'
  static examples = ['<%= config.bin %> <%= command.id %> acme acme_staging', '<%= config.bin %> <%= command.id %> acme acme_test --name "Acme (test)"', '<%= config.bin %> <%= command.id %> acme acme_support --mask']
  static audited = true
  static args = {
    from: Args.string({ description: 'Source tenant slug', required: true }),
    to: Args.string({ description: 'New tenant slug', required: true }),
  }
  static flags = {
    name: Flags.string({ description: 'Display name of the copy' }),
    mask: Flags.boolean({
      description: 'Replace personal data in the copy (customer names, emails, phones, tax ids, addresses; user emails, names, password hashes) by deterministic fakes',
    }),
  }

  async run(): Promise<TenantsCloneResult> {
    this.auditTenant = this.args.to
    const progress = await this.progress(`Cloning ${this.args.from} to ${this.args.to}`)
    try {
      const clone = await cloneTenant(await this.db(), this.args.from, this.args.to, { name: this.flags.name, mask: this.flags.mask })
      progress.succeed(`Cloned ${clone.from} to ${clone.slug}: ${clone.tables.reduce((n, t) => n + t.rows, 0)} rows in ${clone.tables.length} tables`)
      if (!this.interactive) this.log(`Cloned ${clone.from} to ${clone.slug}.`)
      if (clone.masked) this.note(`Masked personal data: ${clone.masked.map((m) => `${m.table} ${m.rows}`).join(', ') || 'no such tables'}.`)
      return clone
    } catch (err) {
      progress.fail()
      throw err
    }
  }
}
