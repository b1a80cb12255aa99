import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { ORDER_LINE_COLUMNS, dateFlag, readOrderFile } from '../../lib/cli/domains/orders.js'
import { createOrder, type CreateOrderInput, type OrderDetail } from '../../lib/orders/orders.js'
import { parseLineSpecs } from '../../lib/pricing/line-spec.js'

export type OrdersCreateResult = OrderDetail

export default class OrdersCreate extends BaseCommand<typeof OrdersCreate> {
  static summary = 'Create a draft sales order, priced by the price resolver'
  static description =
    'Lines are SKU:QTY, priced as erp prices quote would price them (list, breaks, discounts, tax); SKU:QTY@PRICE ' +
    'overrides the unit price, and the order keeps the list price it replaced. Or give the whole order as JSON with ' +
    '--file: {"customer": "C1", "lines": [{"sku": "A", "qty": 2, "unitPrice": 9.5}]}. The order starts as a draft: ' +
    'confirm it to reserve stock. --external-ref keeps the order\'s number in the client\'s system (unique; the JSON ' +
    'file may give it as "externalRef"); later commands take the order as ext:REF.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --customer C0001 --line CHAIR-01:4 --line DESK-02:1@199.00',
    '<%= config.bin %> <%= command.id %> --file order.json --json',
    '<%= config.bin %> <%= command.id %> --customer C0001 --line CHAIR-01:4 --external-ref PO-4471',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    customer: Flags.string({ char: 'c', description: 'Customer code', exactlyOne: ['customer', 'file'] }),
    line: Flags.string({ char: 'l', description: 'SKU:QTY or SKU:QTY@UNIT_PRICE, repeatable', multiple: true, exclusive: ['file'] }),
    file: Flags.string({ char: 'f', description: 'The order as JSON (see the description)', helpValue: '<path>' }),
    date: dateFlag('Price as of this date (today by default)'),
    note: Flags.string({ description: 'A note kept on the order' }),
    'external-ref': Flags.string({
      description: "The order's number in the client's own system: unique among the tenant's orders, searchable with orders list --external-ref, usable as ext:REF",
      helpValue: '<ref>',
    }),
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<OrdersCreateResult> {
    const f = this.flags
    const input: CreateOrderInput = f.file
      ? await readOrderFile(f.file)
      : { customer: f.customer!, lines: parseLineSpecs(f.line ?? []), date: f.date, note: f.note }
    if (f['external-ref'] !== undefined) input.externalRef = f['external-ref']
    const order = await this.inTenant((trx) => createOrder(trx, input))
    this.log(`Created ${order.reference} for ${order.customer} (draft): ${order.gross} ${order.currency}`)
    this.printList(order.lines, ORDER_LINE_COLUMNS, '')
    return order
  }
}
