import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createDiscount, STACKING_RULES, type Discount, type StackingRule } from '../../lib/pricing/discounts.js'

export type DiscountsCreateResult = Discount

export default class DiscountsCreate extends BaseCommand<typeof DiscountsCreate> {
  static summary = 'Create a discount or promotion'
  static description = [
    'What it takes off: --percent P takes P % of the line amount. --amount A takes A off each unit (with --sku or --category), ' +
      "or A off the whole order (with --order), shared over the order's lines in proportion to their amounts; it needs --currency. " +
      'A line never goes below zero.',
    'Where: --sku (one product), --category (its path; sub-categories included) or --order (every line). ' +
      'When: --from/--to, both days included. --min-qty and --min-amount count the line for product and category discounts, ' +
      'and the whole order (before discounts) for order discounts. --group limits it to one customer group.',
    'Stacking, per line. exclusive (the default): never combined; the best single exclusive discount (the largest amount) ' +
      'competes with the stack of stackable ones, and the line gets whichever takes more off (a tie goes to the exclusive one). ' +
      'stackable: all eligible stackable discounts apply together in --priority order (lower first, then by code), each on what ' +
      "the previous ones left, so 10 % then 5 % takes 14.5 %. The customer group's discount percent is a stackable discount of priority 0.",
    "Amounts are in the line's price basis (gross on tax-inclusive lists). A line whose unit price is overridden gets no " +
      'automatic discount. erp prices quote shows which discount applied and why the others did not.',
  ].join('\n\n')
  static examples = [
    '<%= config.bin %> <%= command.id %> --code SUMMER10 --percent 10 --category Garden --from 2026-06-01 --to 2026-08-31 --tenant acme',
    '<%= config.bin %> <%= command.id %> --code BULK5 --percent 5 --order --min-amount 500 --currency EUR --stacking stackable',
    '<%= config.bin %> <%= command.id %> --code CHAIR2OFF --amount 2 --currency EUR --sku CHAIR-01 --min-qty 10 --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    code: Flags.string({ description: 'Unique code, e.g. SUMMER10', required: true }),
    name: Flags.string({ description: 'Display name (the code by default)' }),
    percent: Flags.string({ description: 'Percent off (0–100]', exactlyOne: ['percent', 'amount'] }),
    amount: Flags.string({ description: 'Amount off each unit, or off the order with --order', exactlyOne: ['percent', 'amount'] }),
    currency: Flags.string({ description: 'Currency of --amount and --min-amount (ISO 4217)' }),
    sku: Flags.string({ description: 'Applies to this product', exactlyOne: ['sku', 'category', 'order'] }),
    category: Flags.string({ description: 'Applies to this category and its sub-categories (path, e.g. Hardware/Tools)', exactlyOne: ['sku', 'category', 'order'] }),
    order: Flags.boolean({ description: 'Applies to the whole order', exactlyOne: ['sku', 'category', 'order'] }),
    group: Flags.string({ description: 'Only for customers of this group' }),
    from: Flags.string({ description: 'First day (YYYY-MM-DD)' }),
    to: Flags.string({ description: 'Last day, inclusive (YYYY-MM-DD)' }),
    'min-qty': Flags.string({ description: 'Minimum quantity (line, or order for --order)' }),
    'min-amount': Flags.string({ description: 'Minimum amount before discounts (line, or order for --order)' }),
    stacking: Flags.string({ description: 'exclusive: best single discount wins; stackable: combined by priority', options: [...STACKING_RULES], default: 'exclusive' }),
    priority: Flags.integer({ description: 'Order among stackable discounts, lower first', default: 100 }),
  }

  async run(): Promise<DiscountsCreateResult> {
    const f = this.flags
    const discount = await this.inTenant((trx) =>
      createDiscount(trx, {
        code: f.code, name: f.name, kind: f.percent !== undefined ? 'percent' : 'amount', value: f.percent ?? f.amount!,
        currency: f.currency, sku: f.sku, category: f.category, order: f.order, group: f.group,
        validFrom: f.from, validTo: f.to, minQty: f['min-qty'], minAmount: f['min-amount'],
        stacking: f.stacking as StackingRule, priority: f.priority,
      }),
    )
    this.log(`Created discount ${discount.code}: ${discount.kind === 'percent' ? `${discount.value}%` : `${discount.value} ${discount.currency}`} on ${discount.sku ?? discount.category ?? 'the order'} (${discount.stacking})`)
    return discount
  }
}
