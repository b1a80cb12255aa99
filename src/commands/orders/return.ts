import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MOVE_COLUMNS, dateFlag, orderArg, parseLinePicks, parseSerials } from '../../lib/cli/domains/orders.js'
import { returnOrder, type ReturnResult } from '../../lib/orders/lifecycle.js'

export type OrdersReturnResult = ReturnResult

export default class OrdersReturn extends BaseCommand<typeof OrdersReturn> {
  static summary = 'Take goods of a shipped order back, and credit what was invoiced'
  static description =
    'Posts return moves from the customer back to the locations (and lots) the goods left from, or to --to. ' +
    'What had been invoiced of the returned quantity is credited by a credit note, issued at once in the credit ' +
    'note series. Without --line everything shipped and not yet returned comes back.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042 --line WIDGET:2',
    '<%= config.bin %> <%= command.id %> 1042 --line 3 --serial PHONE:SN-0002 --json',
  ]
  static audited = true
  static args = { order: Args.string(orderArg) }
  static flags = {
    tenant: tenantFlag,
    line: Flags.string({ description: 'LINE or SKU, optionally :QTY; repeatable', multiple: true }),
    serial: Flags.string({ description: 'SKU:SERIAL of a unit coming back; repeatable', multiple: true }),
    to: Flags.string({ description: 'Location the goods go back to (WH1/RETURNS)' }),
    date: dateFlag('The day the goods came back: of the moves and the credit note (not after today; today by default)'),
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<OrdersReturnResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      returnOrder(trx, { order: this.args.order, lines: parseLinePicks(f.line), serials: parseSerials(f.serial), to: f.to, date: f.date }))
    this.log(`Returned to stock for ${result.order.reference}:`)
    this.printList(result.moves, MOVE_COLUMNS, '')
    if (result.creditNote) this.log(`Credit note ${result.creditNote.number}: ${result.creditNote.gross} ${result.creditNote.currency}`)
    return result
  }
}
