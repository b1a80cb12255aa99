import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { ordersArg } from '../../lib/cli/domains/orders.js'
import { confirmOrder, confirmOrders, type ConfirmOrdersResult, type ConfirmResult } from '../../lib/orders/lifecycle.js'

/** One order: the order as confirmed and its credit check; several: one item per order. */
export type OrdersConfirmResult = ConfirmResult | ConfirmOrdersResult

export default class OrdersConfirm extends BaseCommand<typeof OrdersConfirm> {
  static summary = 'Confirm draft orders: check the customer\'s credit and reserve stock for every line'
  static description =
    'Stock is reserved for all lines or for none; the error names each line short of stock. The customer\'s credit ' +
    'limit (open invoices + open orders + this order) and overdue invoices (past their payment terms) refuse the ' +
    'order (exit 77) unless --override gives a reason, which is kept on the order and in the audit log.\n\n' +
    'Several orders are confirmed in one transaction, all or nothing: earlier orders (by number) are served first ' +
    'when stock is short, the orders of one customer count against its credit limit together, and the error names ' +
    'every order refused and why (data.failures with --json). With one order --json gives the order; with several, ' +
    'items with each order\'s credit check and reservations.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042',
    '<%= config.bin %> <%= command.id %> SO-1042 --override "paid by phone, see ticket 381" --json',
    '<%= config.bin %> <%= command.id %> 1042 1043 1044',
  ]
  static audited = true
  static strict = false
  static args = { order: Args.string(ordersArg) }
  static flags = {
    tenant: tenantFlag,
    override: Flags.string({ description: 'Confirm past the credit limit or overdue invoices, for this reason (audited)', helpValue: '<reason>' }),
  }

  async run(): Promise<OrdersConfirmResult> {
    const override = this.flags.override
    const orders = this.positionals
    if (orders.length === 1) {
      const result = await this.inTenant((trx) => confirmOrder(trx, { order: orders[0], override }))
      if (result.credit.overridden) this.warning(`Credit check overridden (${override}): ${result.credit.problems.join('; ')}`)
      this.log(`Confirmed ${result.order.reference}: ${result.order.reservations.length} reservation(s)`)
      for (const r of result.order.reservations) this.log(`  ${r.sku} ${r.qty} at ${r.location}${r.lot ? ` lot ${r.lot}` : ''}`)
      return result
    }
    const result = await this.inTenant((trx) => confirmOrders(trx, { orders, override }))
    for (const item of result.items.filter((i) => i.credit.overridden)) {
      this.warning(`${item.reference}: credit check overridden (${override}): ${item.credit.problems.join('; ')}`)
    }
    this.log(`Confirmed ${result.items.length} orders`)
    for (const item of result.items) this.log(`  ${item.reference}: ${item.reservations.length} reservation(s)`)
    return result
  }
}
