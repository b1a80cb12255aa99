import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { orderArg } from '../../lib/orders/cli.js'
import { confirmOrder, type ConfirmResult } from '../../lib/orders/lifecycle.js'

export type OrdersConfirmResult = ConfirmResult

export default class OrdersConfirm extends BaseCommand<typeof OrdersConfirm> {
  static summary = 'Confirm a draft order: check the customer\'s credit and reserve stock for every line'
  static description =
    'Stock is reserved for all lines or for none; the error names each line short of stock. The customer\'s credit ' +
    'limit (open invoices + open orders + this order) and overdue invoices (past their payment terms) refuse the ' +
    'order (exit 77) unless --override gives a reason, which is kept on the order and in the audit log.'
  static examples = [
    '<%= config.bin %> <%= command.id %> 1042',
    '<%= config.bin %> <%= command.id %> SO-1042 --override "paid by phone, see ticket 381" --json',
  ]
  static audited = true
  static args = { order: Args.string(orderArg) }
  static flags = {
    tenant: tenantFlag,
    override: Flags.string({ description: 'Confirm past the credit limit or overdue invoices, for this reason (audited)', helpValue: '<reason>' }),
  }

  async run(): Promise<OrdersConfirmResult> {
    const result = await this.inTenant((trx) => confirmOrder(trx, { order: this.args.order, override: this.flags.override }))
    if (result.credit.overridden) this.warning(`Credit check overridden (${this.flags.override}): ${result.credit.problems.join('; ')}`)
    this.log(`Confirmed ${result.order.reference}: ${result.order.reservations.length} reservation(s)`)
    for (const r of result.order.reservations) this.log(`  ${r.sku} ${r.qty} at ${r.location}${r.lot ? ` lot ${r.lot}` : ''}`)
    return result
  }
}
