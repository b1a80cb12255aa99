import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { createSeededTenant, SEED_NAMES, type SeedResult } from '../../lib/seeds/seeds.js'
import type { CreatedTenant } from '../../lib/tenants/provision.js'

export type TenantsCreateResult = CreatedTenant & { seed?: SeedResult }

export default class TenantsCreate extends BaseCommand<typeof TenantsCreate> {
  static summary = 'Provision a tenant: registry row, schema, owner role, all migrations'
  static description =
    'Creates the tenant in one transaction: if any step fails nothing is left behind. ' +
    'Slugs are 2–40 characters: lowercase letters, digits and single underscores, starting with a letter. ' +
    'With --seed, the seed runs in the same transaction (see erp seed run --help).'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme --name "Acme Ltd"',
    '<%= config.bin %> <%= command.id %> acme_uk --name "Acme UK" --plan pro --json',
    '<%= config.bin %> <%= command.id %> demo --seed demo',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    name: Flags.string({ description: 'Display name (the slug by default)' }),
    plan: Flags.string({ description: 'Plan name, for billing' }),
    seed: Flags.string({ description: 'Fill the new tenant with this seed', options: SEED_NAMES }),
  }

  async run(): Promise<TenantsCreateResult> {
    this.auditTenant = this.args.slug
    const tenant = await createSeededTenant(
      await this.db(),
      { slug: this.args.slug, name: this.flags.name, plan: this.flags.plan },
      this.flags.seed ? { name: this.flags.seed } : undefined,
    )
    const seeded = tenant.seed ? `, seeded with ${tenant.seed.seed} (${tenant.seed.inserted} rows)` : ''
    this.log(`Created tenant ${tenant.slug} (schema ${tenant.schema}, ${tenant.migrations.length} migrations applied${seeded})`)
    return tenant
  }
}
