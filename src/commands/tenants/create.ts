import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { usageError } from '../../lib/errors.js'
import { createSeededTenant, SEED_NAMES, type SeedResult } from '../../lib/seeds/seeds.js'
import type { CreatedTenant } from '../../lib/tenants/provision.js'
import { DEFAULT_PRICE_LIST, DEFAULT_WAREHOUSE, TRADE_DEFAULTS, type TradeSetup } from '../../lib/tenants/trade.js'

export type TenantsCreateResult = CreatedTenant & { seed?: SeedResult }

export default class TenantsCreate extends BaseCommand<typeof TenantsCreate> {
  static summary = 'Provision a tenant, ready to sell: registry row, schema, owner role, migrations, price list, tax rates'
  static description =
    'Creates the tenant in one transaction: if any step fails nothing is left behind. ' +
    'Slugs are 2–40 characters: lowercase letters, digits and single underscores, starting with a letter.\n\n' +
    `The tenant can sell at once: it gets a default price list ${DEFAULT_PRICE_LIST} (net prices) in --currency ` +
    `(${TRADE_DEFAULTS.currency} by default), a rate for tax class standard, which products get by default ` +
    `(--standard-tax-rate, ${TRADE_DEFAULTS.standardTaxRate} % by default), beside the zero class every tenant has, a warehouse ` +
    `${DEFAULT_WAREHOUSE} to receive stock into, and with --country the seller's country (setting company.country). ` +
    'Change them later with erp price-lists, erp taxes set, erp warehouses and erp settings set.\n\n' +
    'With --seed, the seed runs in the same transaction instead, with its own price lists and tax rates ' +
    '(see erp seed run --help).'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme --name "Acme Ltd"',
    '<%= config.bin %> <%= command.id %> acme_uk --name "Acme UK" --currency GBP --country GB --standard-tax-rate 20',
    '<%= config.bin %> <%= command.id %> acme_ch --currency CHF --country CH --standard-tax-rate 8.1 --plan pro --json',
    '<%= config.bin %> <%= command.id %> demo --seed demo',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    name: Flags.string({ description: 'Display name (the slug by default)' }),
    plan: Flags.string({ description: 'Plan name, for billing' }),
    currency: Flags.string({
      description: `ISO 4217 currency of the default price list (${TRADE_DEFAULTS.currency} by default)`,
    }),
    country: Flags.string({ description: 'ISO 3166-1 alpha-2 code of the seller\'s country, e.g. FR (none by default)' }),
    'standard-tax-rate': Flags.string({
      description: `Tax rate of class standard, in percent (${TRADE_DEFAULTS.standardTaxRate} by default; 0 for none)`,
    }),
    seed: Flags.string({ description: 'Fill the new tenant with this seed (not with --currency, --country, --standard-tax-rate)', options: SEED_NAMES }),
  }

  async run(): Promise<TenantsCreateResult> {
    const f = this.flags
    this.auditTenant = this.args.slug
    // A seed brings its own price lists and tax rates (oclif's `exclusive` would print all four as exclusive of each other).
    const trade = ['currency', 'country', 'standard-tax-rate'].filter((flag) => f[flag as keyof typeof f] !== undefined)
    if (f.seed && trade.length) throw usageError(`--seed brings its own price lists and tax rates: leave out --${trade.join(', --')}`)
    const tenant = await createSeededTenant(
      await this.db(),
      {
        slug: this.args.slug, name: f.name, plan: f.plan,
        trade: f.seed ? undefined : { currency: f.currency, country: f.country, standardTaxRate: f['standard-tax-rate'] },
      },
      f.seed ? { name: f.seed } : undefined,
    )
    const seeded = tenant.seed ? `, seeded with ${tenant.seed.seed} (${tenant.seed.inserted} rows)` : ''
    this.log(`Created tenant ${tenant.slug} (schema ${tenant.schema}, ${tenant.migrations.length} migrations applied${seeded})`)
    if (tenant.trade) this.log(describeTrade(tenant.trade))
    await rememberForCompletion({ addTenants: [tenant.slug], addWarehouses: { tenant: tenant.slug, codes: tenant.trade ? [tenant.trade.warehouse.code] : [] } })
    return tenant
  }
}

function describeTrade(trade: TradeSetup): string {
  const list = `default price list ${trade.priceList.code} (${trade.priceList.currency}, ${trade.priceList.taxInclusive ? 'tax-inclusive' : 'net'})`
  const rates = trade.taxRates.map((r) => `${r.taxClass} ${r.rate} %`).join(', ')
  const country = trade.country ? `; country ${trade.country} (${trade.countryName})` : ''
  return `Ready to sell: ${list}; tax rates ${rates}; warehouse ${trade.warehouse.code} (stock into ${trade.warehouse.defaultLocation})${country}`
}
