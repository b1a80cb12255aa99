import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { DRIFT_COLUMNS, SERIAL_DRIFT_COLUMNS, TENANT_VERIFY_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag } from '../../lib/cli/domains/stock-flags.js'
import { verifyLevels, verifyTenants, type TenantVerifyOutcome, type VerifyResult } from '../../lib/stock/verify.js'
import { selectTenants } from '../../lib/tenants/selection.js'

/** One tenant: the drift itself; --all-tenants: a line per tenant. */
export type StockVerifyResult = VerifyResult | { tenants: TenantVerifyOutcome[] }

export default class StockVerify extends BaseCommand<typeof StockVerify> {
  static summary = 'Check the stock levels against the ledger, and repair them'
  static description =
    'Rebuilds on-hand from every move, reserved from the reservations and serial locations from their last move, ' +
    'and compares them with the cached levels. Exit code 1 when anything drifted (or a tenant failed). --repair ' +
    'rewrites the drifted rows in one transaction (moves and reservations wait meanwhile). Meant for a nightly cron ' +
    'job: --all-tenants checks every tenant and prints a line per tenant.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --tenant acme --repair --json',
    '<%= config.bin %> <%= command.id %> --all-tenants --concurrency 2 --json',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
    repair: Flags.boolean({ description: 'Fix the cache where it drifted from the ledger' }),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockVerifyResult> {
    const f = this.flags
    if (f['all-tenants']) return this.verifyFleet()
    const result = await this.inTenant((trx) => verifyLevels(trx, { repair: f.repair, limit: f.limit }), {
      access: f.repair ? 'write' : 'read',
    })
    if (result.drifted > 0) this.printList(result.drift, DRIFT_COLUMNS, '')
    if (result.serialsDrifted > 0) this.printList(result.serialDrift, SERIAL_DRIFT_COLUMNS, '')
    const checked = `${result.levels} levels checked against ${result.moves} moves`
    if (result.drifted === 0 && result.serialsDrifted === 0) this.note(`OK: ${checked}, no drift.`)
    else if (result.repaired) this.warning(`Repaired ${result.drifted} levels and ${result.serialsDrifted} serial numbers (${checked}).`)
    else {
      this.warning(`${result.drifted} levels and ${result.serialsDrifted} serial numbers drifted from the ledger (${checked}). Repair with --repair.`)
      this.exitStatus = ExitCode.FAILURE
    }
    return result
  }

  private async verifyFleet(): Promise<{ tenants: TenantVerifyOutcome[] }> {
    const db = await this.db({ poolMax: this.flags.concurrency + 1 })
    const slugs = (await selectTenants(db, { all: true })).map((t) => t.slug)
    const tenants = await verifyTenants(db, slugs, { repair: this.flags.repair, concurrency: this.flags.concurrency })
    this.printList(tenants, TENANT_VERIFY_COLUMNS, 'No tenants.')
    const bad = tenants.filter((t) => t.status === 'drift' || t.status === 'failed')
    if (bad.length) {
      this.exitStatus = ExitCode.FAILURE
      this.warning(`${bad.length} of ${tenants.length} tenants drifted or failed: ${bad.map((t) => t.tenant).join(', ')}`)
    } else this.note(`${tenants.length} tenants checked.`)
    return { tenants }
  }
}
