import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { orderArg } from '../../lib/cli/domains/orders.js'
import { cancelOrder, type CancelResult } from '../../lib/orders/lifecycle.js'

export type OrdersCancelResult = CancelResult

export default class OrdersCancel extends BaseCommand<typeof OrdersCancel> {
  static summary = 'Cancel a draft or confirmed order and release its reserved stock'
  static description = 'An order that shipped anything is not cancelled: take the goods back with erp orders return.'
  static examples = ['<%= config.bin %> <%= command.id %> 1042 --yes', '<%= config.bin %> <%= command.id %> SO-1042 --yes --json']
  static audited = true
  static args = { order: Args.string(orderArg) }
  static flags = { tenant: tenantFlag, yes: yesFlag }

  async run(): Promise<OrdersCancelResult> {
    await confirmOrFail(`Cancel order ${this.args.order}?`, { yes: this.flags.yes })
    const result = await this.inTenant((trx) => cancelOrder(trx, { order: this.args.order }))
    this.log(`Cancelled ${result.order.reference}; released ${result.released.length} reservation(s)`)
    return result
  }
}
