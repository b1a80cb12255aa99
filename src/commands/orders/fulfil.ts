import { Args, Flags } from '@oclif/core'

import { skipFailing } from '../../lib/batch.js'
import { BaseCommand, type SkippedItem } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { moveDateFlag } from '../../lib/cli/domains/stock-flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { MOVE_COLUMNS, ordersArg, parseLinePicks, parseSerials, refuseWithSeveral, skipFailingFlag } from '../../lib/cli/domains/orders.js'
import { fulfilOrder, fulfilOrders, type FulfilOrdersResult, type FulfilResult } from '../../lib/orders/lifecycle.js'
import { orderKeys } from '../../lib/orders/orders.js'

/** One order: the order as shipped and its moves; several: one item per order. */
export type OrdersFulfilResult = FulfilResult | (FulfilOrdersResult & { failures?: SkippedItem[] })

export default class OrdersFulfil extends BaseCommand<typeof OrdersFulfil> {
  static summary = 'Ship confirmed orders, in full or in part'
  static description =
    'Posts the outgoing moves from what the order reserved, in one transaction. Lot-tracked products leave ' +
    'first-expiry-first-out; serial-tracked ones need their serial numbers (--serial SKU:SERIAL). Without --line ' +
    'everything left to ship goes; --line names a line (number or SKU) and optionally a quantity.\n\n' +
    'Several orders ship everything they have left, in one transaction, all or nothing; the error names every ' +
    'order that cannot ship and why. --line and --serial name lines and units of one order: give one order with them. --skip-failing ships the ' +
    'ones that can ship and reports the others (data.failures with --json), exit 1.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042',
    '<%= config.bin %> <%= command.id %> 1042 --line 1:3 --line MILK',
    '<%= config.bin %> <%= command.id %> 1042 --serial PHONE:SN-0001 --serial PHONE:SN-0002 --json',
    '<%= config.bin %> <%= command.id %> 1042 1043 1044',
    '<%= config.bin %> <%= command.id %> 1042 1043 1044 --skip-failing --json',
    '<%= config.bin %> <%= command.id %> 1042 --date 2026-11-27',
  ]
  static audited = true
  static strict = false
  static args = { order: Args.string(ordersArg) }
  static flags = {
    tenant: tenantFlag,
    line: Flags.string({ description: 'LINE or SKU, optionally :QTY; repeatable (all open lines by default); one order only', multiple: true }),
    serial: Flags.string({ description: 'SKU:SERIAL of a unit shipped; repeatable; one order only', multiple: true }),
    date: moveDateFlag,
    'skip-failing': skipFailingFlag,
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<OrdersFulfilResult> {
    const orders = this.positionals
    refuseWithSeveral(orders.length, { line: this.flags.line, serial: this.flags.serial }, 'order')
    if (this.flags['skip-failing']) {
      const date = this.flags.date
      const { done, failures } = await this.inTenant(async (trx) =>
        skipFailing(trx, orders, await orderKeys(trx, orders), (sp, some) => fulfilOrders(sp, some.map((order) => ({ order })), { date })))
      const result = { items: done?.items ?? [], failures: this.reportSkipped(failures) }
      this.reportShipped(result)
      return result
    }
    if (orders.length === 1) {
      const lines = parseLinePicks(this.flags.line)
      const serials = parseSerials(this.flags.serial)
      const result = await this.inTenant((trx) => fulfilOrder(trx, { order: orders[0], lines, serials }, { date: this.flags.date }))
      this.log(`${result.order.reference} is ${result.order.state.replace('_', ' ')}; shipped:`)
      this.printList(result.moves, MOVE_COLUMNS, '')
      return result
    }
    const result = await this.inTenant((trx) => fulfilOrders(trx, orders.map((order) => ({ order })), { date: this.flags.date }))
    this.reportShipped(result)
    return result
  }

  private reportShipped(result: FulfilOrdersResult): void {
    this.log(`Shipped ${result.items.length} orders`)
    for (const item of result.items) this.log(`  ${item.reference} is ${item.state.replace('_', ' ')}: ${item.moves.length} move(s)`)
  }
}
