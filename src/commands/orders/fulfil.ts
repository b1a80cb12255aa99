import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MOVE_COLUMNS, orderArg, parseLinePicks, parseSerials } from '../../lib/orders/cli.js'
import { fulfilOrder, type FulfilResult } from '../../lib/orders/lifecycle.js'

export type OrdersFulfilResult = FulfilResult

export default class OrdersFulfil extends BaseCommand<typeof OrdersFulfil> {
  static summary = 'Ship a confirmed order, in full or in part'
  static description =
    'Posts the outgoing moves from what the order reserved, in one transaction. Lot-tracked products leave ' +
    'first-expiry-first-out; serial-tracked ones need their serial numbers (--serial SKU:SERIAL). Without --line ' +
    'everything left to ship goes; --line names a line (number or SKU) and optionally a quantity.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042',
    '<%= config.bin %> <%= command.id %> 1042 --line 1:3 --line MILK',
    '<%= config.bin %> <%= command.id %> 1042 --serial PHONE:SN-0001 --serial PHONE:SN-0002 --json',
  ]
  static audited = true
  static args = { order: Args.string(orderArg) }
  static flags = {
    tenant: tenantFlag,
    line: Flags.string({ description: 'LINE or SKU, optionally :QTY; repeatable (all open lines by default)', multiple: true }),
    serial: Flags.string({ description: 'SKU:SERIAL of a unit shipped; repeatable', multiple: true }),
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<OrdersFulfilResult> {
    const lines = parseLinePicks(this.flags.line)
    const serials = parseSerials(this.flags.serial)
    const result = await this.inTenant((trx) => fulfilOrder(trx, { order: this.args.order, lines, serials }))
    this.log(`${result.order.reference} is ${result.order.state.replace('_', ' ')}; shipped:`)
    this.printList(result.moves, MOVE_COLUMNS, '')
    return result
  }
}
