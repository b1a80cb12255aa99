import { Args, Flags } from '@oclif/core'

import { skipFailing } from '../../lib/batch.js'
import { BaseCommand, type SkippedItem } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { ordersArg, skipFailingFlag } from '../../lib/cli/domains/orders.js'
import { confirmOrder, confirmOrders, type ConfirmOrdersResult, type ConfirmResult } from '../../lib/orders/lifecycle.js'
import { orderKeys } from '../../lib/orders/orders.js'

/** One order: the order as confirmed and its credit check; several: one item per order. */
export type OrdersConfirmResult = ConfirmResult | (ConfirmOrdersResult & { failures?: SkippedItem[] })

export default class OrdersConfirm extends BaseCommand<typeof OrdersConfirm> {
  static summary = 'Confirm draft orders: check the customer\'s credit and reserve stock for every line'
  static description =
    'Stock is reserved for all lines or for none; the error names each line short of stock. The customer\'s credit ' +
    'limit (open invoices + open orders + this order) and overdue invoices (past their payment terms) refuse the ' +
    'order (exit 77) unless --override gives a reason, which is kept on the order and in the audit log.\n\n' +
    'Several orders are confirmed in one transaction, all or nothing: earlier orders (by number) are served first ' +
    'when stock is short, the orders of one customer count against its credit limit together, and the error names ' +
    'every order refused and why (data.failures with --json). With one order --json gives the order; with several, ' +
    'items with each order\'s credit check and reservations. --skip-failing confirms the ones that can be and ' +
    'reports the others (data.failures with --json), exit 1.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042',
    '<%= config.bin %> <%= command.id %> SO-1042 --override "paid by phone, see ticket 381" --json',
    '<%= config.bin %> <%= command.id %> 1042 1043 1044',
    '<%= config.bin %> <%= command.id %> 1042 1043 1044 --skip-failing',
  ]
  static audited = true
  static strict = false
  static args = { order: Args.string(ordersArg) }
  static flags = {
    tenant: tenantFlag,
    override: Flags.string({ description: 'Confirm past the credit limit or overdue invoices, for this reason (audited)', helpValue: '<reason>' }),
    'skip-failing': skipFailingFlag,
  }

  async run(): Promise<OrdersConfirmResult> {
    const override = this.flags.override
    const orders = this.positionals
    if (this.flags['skip-failing']) {
      const { done, failures } = await this.inTenant(async (trx) => skipFailing(trx, orders, await orderKeys(trx, orders), (sp, some) => confirmOrders(sp, { orders: some, override })))
      const result = { items: done?.items ?? [], failures: this.reportSkipped(failures) }
      this.reportConfirmed(result, override)
      return result
    }
    if (orders.length === 1) {
      const result = await this.inTenant((trx) => confirmOrder(trx, { order: orders[0], override }))
      if (result.credit.overridden) this.warning(`Credit check overridden (${override}): ${result.credit.problems.join('; ')}`)
      this.log(`Confirmed ${result.order.reference}: ${result.order.reservations.length} reservation(s)`)
      for (const r of result.order.reservations) this.log(`  ${r.sku} ${r.qty} at ${r.location}${r.lot ? ` lot ${r.lot}` : ''}`)
      return result
    }
    const result = await this.inTenant((trx) => confirmOrders(trx, { orders, override }))
    this.reportConfirmed(result, override)
    return result
  }

  private reportConfirmed(result: ConfirmOrdersResult, override: string | undefined): void {
    for (const item of result.items.filter((i) => i.credit.overridden)) {
      this.warning(`${item.reference}: credit check overridden (${override}): ${item.credit.problems.join('; ')}`)
    }
    this.log(`Confirmed ${result.items.length} orders`)
    for (const item of result.items) this.log(`  ${item.reference}: ${item.reservations.length} reservation(s)`)
  }
}
