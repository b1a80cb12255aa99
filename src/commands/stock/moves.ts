import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag, timestampFrom } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MOVE_COLUMNS } from '../../lib/cli/domains/stock-columns.js'
import { limitFlag, lotFlag, referenceFlag, skuFlag, warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { listMoves, type StockMove } from '../../lib/stock/history.js'
import { MOVE_REASONS, type MoveReason } from '../../lib/stock/moves.js'

export type StockMovesResult = ListResult<StockMove>

export default class StockMoves extends BaseCommand<typeof StockMoves> {
  static summary = 'The stock ledger: every move, newest first, a page at a time'
  static description =
    'Moves are never edited: corrections are moves of their own. Page back with --before-id <last id shown>.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --sku ABC-1',
    '<%= config.bin %> <%= command.id %> --warehouse WH1 --reason adjustment --since 2026-11-01',
    '<%= config.bin %> <%= command.id %> --reference SO-1001 --json',
    '<%= config.bin %> <%= command.id %> --limit 100 --before-id 52311 --output csv',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    sku: skuFlag(),
    warehouse: warehouseFlag(),
    location: Flags.string({ char: 'l', description: 'Moves from or to this location (WH1/A-01, or supplier, customer, adjustment, scrap)' }),
    lot: lotFlag,
    serial: Flags.string({ description: 'Moves of this serial number' }),
    reference: referenceFlag,
    reason: Flags.string({ description: 'Only moves for this reason', options: [...MOVE_REASONS] }),
    since: Flags.string({ description: 'Moves at or after this date/time (ISO 8601)' }),
    until: Flags.string({ description: 'Moves before this date/time (ISO 8601)' }),
    'before-id': Flags.string({ description: 'Paging: moves older than this move id' }),
    limit: limitFlag(50),
  }

  async run(): Promise<StockMovesResult> {
    const f = this.flags
    const since = timestampFrom('--since', f.since)
    const until = timestampFrom('--until', f.until)
    if (f['before-id'] !== undefined && !/^\d{1,18}$/.test(f['before-id'])) throw usageError(`--before-id: not a move id: ${f['before-id']}`)
    const moves = await this.inTenant(
      (trx) =>
        listMoves(trx, {
          sku: f.sku, warehouse: f.warehouse, location: f.location, lot: f.lot, serial: f.serial, reference: f.reference,
          reason: f.reason as MoveReason | undefined, since, until, beforeId: f['before-id'], limit: f.limit,
        }),
      { access: 'read' },
    )
    this.printList(moves, MOVE_COLUMNS, 'No moves.')
    if (moves.length === f.limit) this.note(`More moves: add --before-id ${moves.at(-1)!.id}`)
    return listResult(moves)
  }
}
