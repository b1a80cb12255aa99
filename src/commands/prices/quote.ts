import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { QUOTE_LINE_COLUMNS } from '../../lib/cli/domains/pricing-columns.js'
import { parseLineSpecs } from '../../lib/pricing/line-spec.js'
import { quote, type Quote } from '../../lib/pricing/resolve.js'

export type PricesQuoteResult = Quote

export default class PricesQuote extends BaseCommand<typeof PricesQuote> {
  static summary = 'Price an order: unit prices, discounts, tax and totals, with the reasons'
  static description = [
    'The same resolver prices orders and invoices. Per line:',
    "1. List: the customer's group list, else the default list. A product missing from the group's list is priced from the " +
      'default list when both share a currency.',
    "2. Price: among the list's prices valid on --date whose quantity break the line reaches, the highest break, then the one " +
      'starting latest. SKU:QTY@PRICE overrides the unit price and turns automatic discounts off for that line.',
    '3. Discounts (see erp discounts create --help): the best single exclusive discount competes with all stackable ones ' +
      "(the customer group's percent included) applied in priority order, compounding; the line gets whichever takes more off.",
    "4. Tax at the product's tax-class rate (erp taxes list), on net or gross prices as the list says.",
    "Money is rounded per line to the currency's minor unit with the tenant's rounding.mode (half_up or half_even, see " +
      "erp settings list). --json returns every figure and each line's explanation.",
  ].join('\n\n')
  static examples = [
    '<%= config.bin %> <%= command.id %> --customer C0001 --line CHAIR-01:4 --line DESK-02:1 --tenant acme',
    '<%= config.bin %> <%= command.id %> --line CHAIR-01:12 --date 2026-12-24 --json',
    '<%= config.bin %> <%= command.id %> --customer C0001 --line DESK-02:1@199.00',
  ]
  static flags = {
    tenant: tenantFlag,
    customer: Flags.string({ char: 'c', description: 'Customer code (without one: default list, no group discount)' }),
    line: Flags.string({ char: 'l', description: 'SKU:QTY or SKU:QTY@UNIT_PRICE, repeatable', multiple: true, required: true }),
    date: Flags.string({ description: 'Price as of this date (YYYY-MM-DD; today by default)' }),
    columns: listFlags.columns,
    'no-truncate': listFlags['no-truncate'],
  }

  async run(): Promise<PricesQuoteResult> {
    const lines = parseLineSpecs(this.flags.line)
    const result = await this.inTenant((trx) => quote(trx, { customer: this.flags.customer, lines, date: this.flags.date }), { access: 'read' })
    this.printList(result.lines, QUOTE_LINE_COLUMNS, '')
    if (this.jsonEnabled()) return result
    const t = result.totals
    this.log('')
    this.log(`Price list ${result.priceList.code} (${result.priceList.source}), ${result.currency}, ${result.date}, rounding ${result.rounding.mode} per line`)
    for (const tax of result.taxes) this.log(`  tax ${tax.rate}%: net ${tax.net}  tax ${tax.tax}  gross ${tax.gross}`)
    this.log(`Total: before discounts ${t.beforeDiscounts}  discount ${t.discount}  net ${t.net}  tax ${t.tax}  gross ${t.gross} ${result.currency}`)
    this.log('')
    for (const line of result.lines) {
      this.log(`#${line.line} ${line.sku}:`)
      for (const why of line.explanation) this.log(`    ${why}`)
    }
    return result
  }
}
