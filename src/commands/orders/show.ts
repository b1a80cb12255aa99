import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { ORDER_LINE_COLUMNS, orderArg } from '../../lib/cli/domains/orders.js'
import { getOrder, type OrderDetail } from '../../lib/orders/orders.js'

export type OrdersShowResult = OrderDetail

export default class OrdersShow extends BaseCommand<typeof OrdersShow> {
  static summary = 'Show an order: lines, reservations, stock moves and invoices'
  static description = 'Quantities shipped, returned and invoiced per line; what stock it still holds; its documents.'
  static examples = ['<%= config.bin %> <%= command.id %> 1042', '<%= config.bin %> <%= command.id %> SO-1042 --json', '<%= config.bin %> <%= command.id %> ext:PO-4471']
  static args = { order: Args.string(orderArg) }
  static flags = { tenant: tenantFlag, columns: listFlags.columns, 'no-truncate': listFlags['no-truncate'] }

  async run(): Promise<OrdersShowResult> {
    const order = await this.inTenant((trx) => getOrder(trx, this.args.order), { access: 'read' })
    if (this.jsonEnabled()) return order
    const { lines, reservations, moves, invoices, ...header } = order
    this.printRecord(header)
    this.log('')
    this.printList(lines, ORDER_LINE_COLUMNS, '')
    if (reservations.length) this.log(`\nReserved: ${reservations.map((r) => `${r.sku} ${r.qty} at ${r.location}${r.lot ? ` (${r.lot})` : ''}`).join(', ')}`)
    if (moves.length) this.log(`Moves: ${moves.map((m) => `${m.reason} ${m.sku} ${m.qty} ${m.from}→${m.to}${m.lot ? ` (${m.lot})` : ''}`).join(', ')}`)
    if (invoices.length) this.log(`Invoices: ${invoices.map((i) => `${i.number ?? `draft ${i.id}`} ${i.kind === 'credit_note' ? 'credit ' : ''}${i.state} ${i.gross}`).join(', ')}`)
    return order
  }
}
