import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { dryRunFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { runSeed, SEED_NAMES, type SeedResult } from '../../lib/seeds/seeds.js'
import type { SeedCount } from '../../lib/seeds/demo.js'

export type SeedRunResult = SeedResult

const COLUMNS: Column<SeedCount>[] = [{ key: 'table' }, { key: 'inserted', align: 'right' }, { key: 'updated', align: 'right' }]

export default class SeedRun extends BaseCommand<typeof SeedRun> {
  static summary = 'Fill a tenant with demo data'
  static description =
    'demo: ~200 products in categories with attributes, 3 price lists (RETAIL EUR incl. tax, the default; WHOLESALE EUR net; ' +
    'EXPORT USD net) with quantity breaks, tax rates, 4 customer groups, 50 customers, one user per role (no password: ' +
    'erp users reset-password), a few discounts. Deterministic (same --random-seed, same data) and idempotent: every row is ' +
    'upserted on its natural key, so running it again changes nothing (and restores seeded rows that were edited).'
  static examples = [
    '<%= config.bin %> <%= command.id %> demo --tenant acme',
    '<%= config.bin %> <%= command.id %> demo --tenant acme --dry-run --json',
  ]
  static audited = true
  static args = { name: Args.string({ description: 'Seed name', required: true, options: SEED_NAMES }) }
  static flags = {
    tenant: tenantFlag,
    'random-seed': Flags.integer({ description: 'PRNG seed: same value, same data', default: 1, min: 0, max: 2 ** 32 - 1 }),
    'dry-run': dryRunFlag,
    columns: listFlags.columns,
  }

  async run(): Promise<SeedRunResult> {
    const result = await this.inTenant((trx) =>
      runSeed(trx, this.args.name, { randomSeed: this.flags['random-seed'], dryRun: this.flags['dry-run'] }),
    )
    this.printList(result.tables, COLUMNS, '')
    this.log(`${result.dryRun ? 'Would insert' : 'Inserted'} ${result.inserted} rows, ${result.dryRun ? 'would update' : 'updated'} ${result.updated}.`)
    return result
  }
}
