import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { DRIFT_COLUMNS, SERIAL_DRIFT_COLUMNS } from '../../lib/stock/columns.js'
import { limitFlag } from '../../lib/stock/flags.js'
import { verifyLevels, type VerifyResult } from '../../lib/stock/verify.js'

export type StockVerifyResult = VerifyResult

export default class StockVerify extends BaseCommand<typeof StockVerify> {
  static summary = 'Check the stock levels against the ledger, and repair them'
  static description =
    'Rebuilds on-hand from every move, reserved from the reservations and serial locations from their last move, ' +
    'and compares them with the cached levels. Exit code 1 when anything drifted. --repair rewrites the drifted rows ' +
    'in one transaction (moves and reservations wait meanwhile). Meant for a nightly cron job.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --tenant acme --repair --json',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    repair: Flags.boolean({ description: 'Fix the cache where it drifted from the ledger' }),
    limit: limitFlag(1000),
  }

  async run(): Promise<StockVerifyResult> {
    const f = this.flags
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
}
