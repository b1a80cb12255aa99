import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { SETTINGS } from '../settings/settings.js'
import { Problems, checkDecimal } from '../validation.js'
import { checkDate } from './checks.js'
import { finishLine, groupDiscountRow, shareOrderAmounts, summariseTaxes, type DiscountEnv } from './line-rules.js'
import { Decimal, PRICE_SCALE, ROUNDING_MODES, currencyScale, fixed, plain, round, type RoundingMode } from './money.js'
import { choosePrice } from './price-choice.js'
import { readContext, readDiscounts, readLines } from './quote-queries.js'
import type { ListRow, ParsedLine, PricedLine, Quote, QuoteInput, QuoteLine } from './quote-types.js'

export type { AppliedDiscount, Quote, QuoteInput, QuoteLine, QuoteLineInput, TaxSummary } from './quote-types.js'

/**
 * THE price resolver: the one place erp computes prices. Quotes, orders and invoices all call
 * `quote()`; nothing else multiplies a price.
 *
 * Rules, in the order they apply to each line:
 *
 * 1. Price list. The customer's group list, or the tenant's default list (no customer, no group,
 *    or a group without a list). When the group's list has no price for a product, the default list
 *    is used instead if it is in the same currency. The quote's currency is the first list's.
 * 2. Price item. Among the list's items for the product that are valid on the date (validity dates
 *    are inclusive) and whose break (min qty) the line's quantity reaches: the highest break; among
 *    equal breaks, the item that started latest (an undated item counts as the oldest), so a dated
 *    price overrides an open-ended one while it lasts. A line's `unitPriceOverride` replaces the
 *    list price (in the quote list's tax basis) and turns automatic discounts off for that line.
 * 3. Base amount B = round(unit price × qty). All amounts are in the quote list's price basis: gross
 *    for a tax-inclusive list, net otherwise. A price from the fallback list in the other basis is
 *    first brought to the quote's: net × (100 + r) / 100 or gross × 100 / (100 + r), at the line's
 *    tax rate r, to 4 digits; so totals and order-discount shares never add gross to net.
 * 4. Discounts. A discount is a candidate for a line when its scope covers the line (the product;
 *    the category or any sub-category of it; or the order) and it is not archived. It is eligible when
 *    its customer group (if any) is the customer's, the date is in its period, its currency (amount
 *    discounts, minimum amounts) is the quote's, and its minimum quantity/amount is reached: the
 *    line's quantity and B for product and category discounts, the order's total quantity and total
 *    B for order discounts. The customer group's discount_percent is one more stackable percent
 *    discount (code `group:<code>`, priority 0).
 *    Standalone amount of an eligible discount: percent → round(B × p / 100); amount → round(v ×
 *    qty) for product/category scope (v off each unit), or for order scope the line's share of v
 *    (v is split over the order's lines in proportion to B, shares rounded so they sum to v exactly);
 *    never more than B.
 *    Stacking: exclusive discounts never combine with anything. The best exclusive one (largest
 *    standalone amount; ties: lower priority, then code) competes with the stack of all stackable
 *    ones, applied in priority order (lower first, then code), each on what the previous left:
 *    percent → round(remaining × p / 100), amount → min(its amount, remaining). The line gets
 *    whichever takes more off; on a tie, the exclusive one.
 *    A line's own discount percent p (--line SKU:QTY%P, an order file's discountPercent) replaces
 *    all of this on that line: round(B × p / 100), kept on the order line as p.
 * 5. Line amount L = B − discounts. Tax at the product's tax-class rate r, rounded per line:
 *    net basis → tax = round(L × r / 100), gross = L + tax; gross basis → tax = round(L × r / (100 + r)),
 *    net = L − tax.
 * 6. Totals sum the rounded lines; taxes are also summed per rate.
 *
 * Rounding: to the currency's minor unit (2 digits for EUR, 0 for JPY...), half_up or half_even per
 * the tenant's `rounding.mode` setting, at each step above (every amount shown is already rounded,
 * and amounts shown add up exactly). Unit prices keep 4 digits. Arithmetic is exact (decimal.js);
 * all data is read in three queries whatever the number of lines.
 */

// ---- the resolver ----------------------------------------------------------------------------

/**
 * Price an order: per line the list, break, unit price, discounts, tax and totals, with an
 * explanation; then totals and tax per rate. Reads only (safe in a READ ONLY transaction). Every
 * bad input (unknown SKU or customer, missing price or tax rate, bad quantity...) is reported at
 * once as INVALID_DATA.
 */
export async function quote(trx: Knex.Transaction, input: QuoteInput): Promise<Quote> {
  const problems = new Problems()
  // Bad inputs do not stop the quote here: the customer and the SKUs are looked up too, so every
  // bad input comes back at once (docs/pricing.md).
  const parsed = parseQuoteInput(problems, input)

  const context = await readContext(trx, input.customer)
  const date = parsed.date ?? context.today
  const mode = roundingMode(context.rounding)
  const customer = context.customer
  if (input.customer !== undefined && !customer) {
    problems.add('customer', `no customer "${input.customer}"`, { action: 'Look it up with: erp customers list' })
  } else if (customer?.archived) {
    problems.add('customer', `customer "${customer.code}" is archived`)
  }
  const primary = customer?.list ?? context.default_list
  if (!primary) {
    problems.add('priceList', 'the tenant has no default price list', { action: 'Create one: erp price-lists create --code RETAIL --currency EUR --default' })
    problems.throwIfAny('Quote not computed')
  }
  const list = primary!
  const fallback = context.default_list && context.default_list.id !== list.id && context.default_list.currency === list.currency ? context.default_list : null
  const lists = new Map([list, fallback].filter((l): l is ListRow => l !== null).map((l) => [l.id, l]))
  const scale = currencyScale(list.currency)
  const r = (d: Decimal) => round(d, scale, mode)

  const rows = await readLines(trx, parsed.lines.map((l) => l.sku), [...lists.keys()])

  // Pass 1: product, tax rate, price item and base amount of every line.
  const priced: PricedLine[] = []
  parsed.lines.forEach((line, i) => {
    const row = rows[i]
    const field = `lines[${i + 1}]`
    if (line.sku === '') return // reported by parseQuoteInput
    if (!row.product_id) {
      problems.add(`${field}.sku`, `no product "${line.sku}"`, { action: 'Look it up with: erp products list --search <text>' })
      return
    }
    if (row.archived || !row.active) problems.add(`${field}.sku`, `product "${line.sku}" is ${row.archived ? 'archived' : 'inactive'}`)
    if (row.tax_rate === null) {
      problems.add(`${field}.sku`, `no tax rate for tax class "${row.tax_class}" of "${line.sku}"`, { action: `Set it: erp taxes set ${row.tax_class} <percent>` })
    }
    const found = choosePrice(row.items, list, fallback, line.qty, date)
    if (!found.item && line.override === undefined) {
      const where = fallback ? `${list.code} or ${fallback.code}` : list.code
      problems.add(`${field}.sku`, `no price for "${line.sku}" in ${where} for quantity ${plain(line.qty)} on ${date}`, {
        action: 'Set one: erp prices set --list <code> --sku <sku> --price <amount>',
      })
    }
    if (problems.list.length > 0) return
    const source = line.override !== undefined ? list : lists.get(found.item!.listId)!
    const taxRate = new Decimal(row.tax_rate!)
    const listed = line.override ?? new Decimal(found.item!.price)
    const converted = source.tax_inclusive !== list.tax_inclusive
    const unit = converted ? toBasis(listed, list.tax_inclusive, taxRate, mode) : listed
    priced.push({
      index: i, input: line, row, found, list: source,
      unit, convertedFrom: converted ? listed : undefined, base: r(unit.times(line.qty)), taxRate,
    })
  })
  problems.throwIfAny('Quote not computed')

  // Pass 2: discounts, tax, explanation.
  const discounts = await readDiscounts(trx, priced)
  const groupDiscount = customer && customer.group_code && customer.discount_percent && new Decimal(customer.discount_percent).greaterThan(0)
    ? groupDiscountRow(customer.group_code, customer.group_id!, customer.discount_percent)
    : null
  const order = {
    qty: priced.reduce((a, l) => a.plus(l.input.qty), new Decimal(0)),
    amount: priced.reduce((a, l) => a.plus(l.base), new Decimal(0)),
  }
  const env: DiscountEnv = { date, currency: list.currency, groupId: customer?.group_id ?? null, order, scale, mode }
  const orderShares = shareOrderAmounts(discounts, priced, env)

  const lines = priced.map((l) => finishLine(l, { ...env, discounts, groupDiscount, orderShares, lists, primary: list, fallback }))
  const taxes = summariseTaxes(lines, scale)
  const sum = (pick: (l: QuoteLine) => string) => fixed(lines.reduce((a, l) => a.plus(pick(l)), new Decimal(0)), scale)
  return {
    date,
    currency: list.currency,
    customer: customer ? { code: customer.code, name: customer.name, group: customer.group_code } : null,
    priceList: { code: list.code, currency: list.currency, taxInclusive: list.tax_inclusive, source: customer?.list ? 'customer group' : 'default' },
    rounding: { mode, scale, per: 'line' },
    lines,
    totals: {
      beforeDiscounts: sum((l) => l.amountBeforeDiscounts),
      discount: sum((l) => l.discountTotal),
      net: sum((l) => l.net),
      tax: sum((l) => l.tax),
      gross: sum((l) => l.gross),
    },
    taxes,
  }
}

/** The quote's own input checks (no database): every problem goes into `problems`. */
export function parseQuoteInput(problems: Problems, input: QuoteInput): { lines: ParsedLine[]; date?: string } {
  const date = input.date === undefined ? undefined : checkDate(problems, 'date', input.date)
  if (!Array.isArray(input.lines) || input.lines.length === 0) problems.add('lines', 'a quote needs at least one line')
  const lines = (input.lines ?? []).map((line, i) => {
    const field = `lines[${i + 1}]`
    if (typeof line.sku !== 'string' || line.sku.trim() === '') problems.add(`${field}.sku`, 'a SKU is required')
    const qty = checkDecimal(problems, `${field}.qty`, String(line.qty), { precision: 18, scale: 4 })
    // One rule, one message, for -1 and 0 alike.
    const positive = qty !== undefined && new Decimal(qty).gt(0)
    if (qty !== undefined && !positive) problems.add(`${field}.qty`, `must be more than zero (got ${String(line.qty).trim()})`)
    const override = line.unitPriceOverride === undefined
      ? undefined
      : checkDecimal(problems, `${field}.unitPriceOverride`, String(line.unitPriceOverride), { precision: 18, scale: 4, nonNegative: true })
    const discountPercent = line.discountPercent === undefined
      ? undefined
      : checkDecimal(problems, `${field}.discountPercent`, String(line.discountPercent), { precision: 7, scale: 4, nonNegative: true, max: 100 })
    return {
      sku: typeof line.sku === 'string' ? line.sku.trim() : '',
      discountPercent: discountPercent === undefined ? undefined : new Decimal(discountPercent),
      // A refused quantity prices the line for one, so its other problems are found too.
      qty: new Decimal(positive ? qty : '1'),
      override: override === undefined ? undefined : new Decimal(override),
    }
  })
  return { lines, date }
}

/** A unit price brought to the other tax basis at the line's rate, to the 4 digits unit prices keep. */
function toBasis(unit: Decimal, taxInclusive: boolean, rate: Decimal, mode: RoundingMode): Decimal {
  const factor = rate.plus(100).dividedBy(100)
  return round(taxInclusive ? unit.times(factor) : unit.dividedBy(factor), PRICE_SCALE, mode)
}

function roundingMode(value: unknown): RoundingMode {
  const mode = value ?? SETTINGS['rounding.mode'].default
  if (!ROUNDING_MODES.includes(mode as RoundingMode)) {
    throw invalidData(`The tenant's rounding.mode setting holds ${JSON.stringify(value)}, not one of ${ROUNDING_MODES.join(', ')}`, {
      actions: ['Fix it: erp settings set rounding.mode half_up'],
    })
  }
  return mode as RoundingMode
}
