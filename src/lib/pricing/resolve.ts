import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { SETTINGS } from '../settings/settings.js'
import { Problems, checkDecimal } from '../validation.js'
import { checkDate, describePeriod, inPeriod } from './checks.js'
import type { DiscountKind, DiscountScope, StackingRule } from './discounts.js'
import { Decimal, PRICE_SCALE, ROUNDING_MODES, allocate, currencyScale, fixed, plain, round, type RoundingMode } from './money.js'

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
 * 3. Base amount B = round(unit price × qty). All amounts are in the line's price basis: gross for
 *    a tax-inclusive list, net otherwise.
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

export interface QuoteLineInput {
  sku: string
  /** Decimal string, more than zero, up to 4 decimals. */
  qty: string
  /** Replaces the list price (in the quote list's tax basis); disables automatic discounts on the line. */
  unitPriceOverride?: string
}

export interface QuoteInput {
  /** Customer code. Without one, the default list applies and no group discount. */
  customer?: string
  lines: QuoteLineInput[]
  /** YYYY-MM-DD; the database's current date by default. */
  date?: string
}

export interface AppliedDiscount {
  /** Discount code, or `group:<code>` for the customer group's discount. */
  code: string
  name: string
  kind: DiscountKind
  value: string
  scope: DiscountScope | 'group'
  stacking: StackingRule
  amount: string
}

export interface QuoteLine {
  /** 1-based position in the input. */
  line: number
  sku: string
  productId: string
  name: string
  qty: string
  /** The list the price came from (the quote's list for an override). */
  priceList: string
  priceSource: 'list' | 'fallback' | 'override'
  /** The price item used; null for an override. */
  break: { minQty: string; validFrom: string | null; validTo: string | null } | null
  /** As listed (or overridden), in the line's basis, 4 decimals. */
  unitPrice: string
  taxInclusive: boolean
  unitPriceNet: string
  unitPriceGross: string
  /** B: round(unit price × qty), in the line's basis. */
  amountBeforeDiscounts: string
  discounts: AppliedDiscount[]
  discountTotal: string
  taxClass: string
  /** Percent. */
  taxRate: string
  net: string
  tax: string
  gross: string
  /** Why this price, break and these discounts, and why not the others. */
  explanation: string[]
}

export interface TaxSummary {
  rate: string
  net: string
  tax: string
  gross: string
}

export interface Quote {
  date: string
  currency: string
  customer: { code: string; name: string; group: string | null } | null
  priceList: { code: string; currency: string; taxInclusive: boolean; source: 'customer group' | 'default' }
  rounding: { mode: RoundingMode; scale: number; per: 'line' }
  lines: QuoteLine[]
  totals: { beforeDiscounts: string; discount: string; net: string; tax: string; gross: string }
  taxes: TaxSummary[]
}

// ---- rows read from the database -------------------------------------------------------------

interface ListRow {
  id: string
  code: string
  currency: string
  tax_inclusive: boolean
}

interface ContextRow {
  today: string
  rounding: unknown
  default_list: ListRow | null
  customer: {
    code: string
    name: string
    archived: boolean
    group_id: string | null
    group_code: string | null
    discount_percent: string | null
    list: ListRow | null
  } | null
}

interface ItemRow {
  id: string
  listId: string
  minQty: string
  validFrom: string | null
  validTo: string | null
  price: string
}

interface LineRow {
  n: number
  product_id: string | null
  name: string | null
  active: boolean | null
  archived: boolean | null
  tax_class: string | null
  tax_rate: string | null
  category_path: string | null
  items: ItemRow[]
}

interface DiscountRow {
  code: string
  name: string
  kind: DiscountKind
  value: string
  currency: string | null
  scope: DiscountScope
  product_id: string | null
  category_path: string | null
  group_id: string | null
  group_code: string | null
  valid_from: string | null
  valid_to: string | null
  min_qty: string | null
  min_amount: string | null
  stacking: StackingRule
  priority: number
}

// ---- the resolver ----------------------------------------------------------------------------

/**
 * Price an order: per line the list, break, unit price, discounts, tax and totals, with an
 * explanation; then totals and tax per rate. Reads only (safe in a READ ONLY transaction). Every
 * bad input (unknown SKU or customer, missing price or tax rate, bad quantity...) is reported at
 * once as INVALID_DATA.
 */
export async function quote(trx: Knex.Transaction, input: QuoteInput): Promise<Quote> {
  const problems = new Problems()
  const parsed = parseInput(problems, input)
  problems.throwIfAny('Quote not computed')

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
    const unit = line.override ?? new Decimal(found.item!.price)
    priced.push({
      index: i, input: line, row, found, list: source,
      unit, base: r(unit.times(line.qty)), taxRate: new Decimal(row.tax_rate!),
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

interface ParsedLine {
  sku: string
  qty: Decimal
  override?: Decimal
}

function parseInput(problems: Problems, input: QuoteInput): { lines: ParsedLine[]; date?: string } {
  const date = input.date === undefined ? undefined : checkDate(problems, 'date', input.date)
  if (!Array.isArray(input.lines) || input.lines.length === 0) problems.add('lines', 'a quote needs at least one line')
  const lines = (input.lines ?? []).map((line, i) => {
    const field = `lines[${i + 1}]`
    if (typeof line.sku !== 'string' || line.sku.trim() === '') problems.add(`${field}.sku`, 'a SKU is required')
    const qty = checkDecimal(problems, `${field}.qty`, String(line.qty), { precision: 18, scale: 4, nonNegative: true })
    if (qty !== undefined && new Decimal(qty).isZero()) problems.add(`${field}.qty`, 'must be more than zero')
    const override = line.unitPriceOverride === undefined
      ? undefined
      : checkDecimal(problems, `${field}.unitPriceOverride`, String(line.unitPriceOverride), { precision: 18, scale: 4, nonNegative: true })
    return {
      sku: typeof line.sku === 'string' ? line.sku.trim() : '',
      qty: new Decimal(qty ?? '1'),
      override: override === undefined ? undefined : new Decimal(override),
    }
  })
  return { lines, date }
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

// ---- queries: three, whatever the number of lines -------------------------------------------

const LIST_JSON = (alias: string) =>
  `json_build_object('id', ${alias}.id::text, 'code', ${alias}.code, 'currency', ${alias}.currency, 'tax_inclusive', ${alias}.tax_inclusive)`

async function readContext(trx: Knex.Transaction, customer: string | undefined): Promise<ContextRow> {
  const { rows } = await trx.raw(
    `select current_date::text as today,
            (select value from settings where key = 'rounding.mode') as rounding,
            (select ${LIST_JSON('l')} from price_lists l where l.is_default) as default_list,
            (select json_build_object(
                      'code', c.code, 'name', c.name, 'archived', c.archived_at is not null,
                      'group_id', g.id::text, 'group_code', g.code, 'discount_percent', g.discount_percent::text,
                      'list', case when l.id is null then null else ${LIST_JSON('l')} end)
               from customers c
               left join customer_groups g on g.id = c.group_id
               left join price_lists l on l.id = g.price_list_id
              where c.code = ?) as customer`,
    [customer ?? null],
  )
  return rows[0]
}

async function readLines(trx: Knex.Transaction, skus: string[], listIds: string[]): Promise<LineRow[]> {
  const { rows } = await trx.raw(
    `select t.n::int as n, p.id::text as product_id, p.name, p.active, p.archived_at is not null as archived,
            p.tax_class, trim_scale(tr.rate)::text as tax_rate, c.path as category_path,
            coalesce((
              select json_agg(json_build_object(
                       'id', i.id::text, 'listId', i.price_list_id::text, 'minQty', trim_scale(i.min_qty)::text,
                       'validFrom', i.valid_from::text, 'validTo', i.valid_to::text, 'price', i.price::text)
                     order by i.min_qty desc, i.valid_from desc nulls last, i.id desc)
                from price_list_items i
               where i.product_id = p.id and i.price_list_id = any(?::bigint[])), '[]'::json) as items
       from unnest(?::text[]) with ordinality as t(sku, n)
       left join products p on p.sku = t.sku
       left join tax_rates tr on tr.tax_class = p.tax_class
       left join categories c on c.id = p.category_id
      order by t.n`,
    [listIds, skus],
  )
  return rows
}

/** Discounts whose scope covers any line: order-wide ones, the lines' products, their categories and ancestors. */
async function readDiscounts(trx: Knex.Transaction, lines: PricedLine[]): Promise<DiscountRow[]> {
  const productIds = [...new Set(lines.map((l) => l.row.product_id!))]
  const paths = [...new Set(lines.map((l) => l.row.category_path).filter((p): p is string => p !== null))]
  const { rows } = await trx.raw(
    `select d.code, d.name, d.kind, trim_scale(d.value)::text as value, d.currency, d.scope, d.product_id::text as product_id,
            c.path as category_path, d.customer_group_id::text as group_id, g.code as group_code,
            d.valid_from::text as valid_from, d.valid_to::text as valid_to, trim_scale(d.min_qty)::text as min_qty,
            trim_scale(d.min_amount)::text as min_amount, d.stacking, d.priority
       from discounts d
       left join categories c on c.id = d.category_id
       left join customer_groups g on g.id = d.customer_group_id
      where d.archived_at is null
        and (d.scope = 'order'
             or d.product_id = any(?::bigint[])
             or exists (select 1 from unnest(?::text[]) as lp(path)
                         where lp.path = c.path or left(lp.path, length(c.path) + 1) = c.path || '/'))
      order by d.priority, d.code`,
    [productIds, paths],
  )
  return rows
}

// ---- step 2: the price item ------------------------------------------------------------------

interface PriceChoice {
  item: ItemRow | null
  /** The list searched last: the primary list, or the fallback when the primary had no price. */
  fellBack: boolean
}

function applicable(item: ItemRow, qty: Decimal, date: string): boolean {
  return qty.greaterThanOrEqualTo(item.minQty) && inPeriod(date, item.validFrom, item.validTo)
}

/** Items arrive sorted by break (highest first), then latest start: the first applicable one wins. */
function choosePrice(items: ItemRow[], primary: ListRow, fallback: ListRow | null, qty: Decimal, date: string): PriceChoice {
  const inList = (list: ListRow) => items.find((i) => i.listId === list.id && applicable(i, qty, date)) ?? null
  const own = inList(primary)
  if (own || !fallback) return { item: own, fellBack: false }
  const other = inList(fallback)
  return { item: other, fellBack: other !== null }
}

interface PricedLine {
  index: number
  input: ParsedLine
  row: LineRow
  found: PriceChoice
  list: ListRow
  unit: Decimal
  base: Decimal
  taxRate: Decimal
}

function describeItem(item: ItemRow): string {
  return `≥${item.minQty} at ${fixed(new Decimal(item.price), PRICE_SCALE)} (${describePeriod(item.validFrom, item.validTo)})`
}

function priceExplanation(line: PricedLine, primary: ListRow, fallback: ListRow | null, date: string): string[] {
  const out: string[] = []
  const { item } = line.found
  const listNote = `price list ${primary.code}`
  if (line.input.override !== undefined) {
    out.push(`unit price overridden: ${fixed(line.unit, PRICE_SCALE)} (${primary.tax_inclusive ? 'gross' : 'net'}, basis of ${primary.code})`)
    if (item) out.push(`list price would have been ${describeItem(item)} from ${line.list.code === primary.code && !line.found.fellBack ? primary.code : fallback?.code}`)
    out.push('automatic discounts not applied: the unit price is overridden')
    return out
  }
  out.push(line.found.fellBack ? `${listNote} has no price for it; fell back to the default list ${line.list.code}` : listNote)
  out.push(`break ${describeItem(item!)} applied`)
  const qty = line.input.qty
  for (const other of line.row.items) {
    if (other === item || other.listId !== line.list.id) continue
    const what = `not used: ${describeItem(other)}`
    if (!inPeriod(date, other.validFrom, other.validTo)) out.push(`${what}: not valid on ${date}`)
    else if (qty.lessThan(other.minQty)) out.push(`${what}: quantity ${plain(qty)} is below ${other.minQty}`)
    else if (new Decimal(other.minQty).lessThan(item!.minQty)) out.push(`${what}: the higher break ≥${item!.minQty} applies`)
    else out.push(`${what}: superseded by the price valid ${describePeriod(item!.validFrom, item!.validTo)}`)
  }
  return out
}

// ---- step 4: discounts -----------------------------------------------------------------------

interface DiscountEnv {
  date: string
  currency: string
  groupId: string | null
  order: { qty: Decimal; amount: Decimal }
  scale: number
  mode: RoundingMode
}

function groupDiscountRow(groupCode: string, groupId: string, percent: string): DiscountRow {
  return {
    code: `group:${groupCode}`, name: `customer group ${groupCode} discount`, kind: 'percent', value: plain(percent),
    currency: null, scope: 'order', product_id: null, category_path: null, group_id: groupId, group_code: groupCode,
    valid_from: null, valid_to: null, min_qty: null, min_amount: null, stacking: 'stackable', priority: 0,
  }
}

function covers(d: DiscountRow, line: PricedLine): boolean {
  if (d.scope === 'order') return true
  if (d.scope === 'product') return d.product_id === line.row.product_id
  const path = line.row.category_path
  return path !== null && d.category_path !== null && (path === d.category_path || path.startsWith(`${d.category_path}/`))
}

/** Why a discount does not apply, or null when it is eligible. */
function ineligible(d: DiscountRow, line: PricedLine, env: DiscountEnv): string | null {
  if (d.group_id !== null && d.group_id !== env.groupId) return `only for customer group ${d.group_code}`
  if (!inPeriod(env.date, d.valid_from, d.valid_to)) return `valid ${describePeriod(d.valid_from, d.valid_to)}, not on ${env.date}`
  if (d.currency !== null && (d.kind === 'amount' || d.min_amount !== null) && d.currency !== env.currency) {
    return `in ${d.currency}, the quote is in ${env.currency}`
  }
  const whole = d.scope === 'order'
  const qty = whole ? env.order.qty : line.input.qty
  if (d.min_qty !== null && qty.lessThan(d.min_qty)) return `needs a quantity of ${d.min_qty}, the ${whole ? 'order' : 'line'} has ${plain(qty)}`
  const amount = whole ? env.order.amount : line.base
  if (d.min_amount !== null && amount.lessThan(d.min_amount)) {
    return `needs an amount of ${fixed(new Decimal(d.min_amount), env.scale)}, the ${whole ? 'order' : 'line'} has ${fixed(amount, env.scale)}`
  }
  return null
}

/** Order-scope amount discounts, split over the lines they apply to in proportion to B. */
function shareOrderAmounts(discounts: DiscountRow[], lines: PricedLine[], env: DiscountEnv): Map<string, Map<number, Decimal>> {
  const shares = new Map<string, Map<number, Decimal>>()
  for (const d of discounts) {
    if (d.scope !== 'order' || d.kind !== 'amount') continue
    const eligible = lines.filter((l) => l.input.override === undefined && ineligible(d, l, env) === null)
    const total = eligible.reduce((a, l) => a.plus(l.base), new Decimal(0))
    const value = Decimal.min(new Decimal(d.value), total)
    const split = allocate(value, eligible.map((l) => l.base), env.scale)
    shares.set(d.code, new Map(eligible.map((l, i) => [l.index, split[i]])))
  }
  return shares
}

interface FinishEnv extends DiscountEnv {
  discounts: DiscountRow[]
  groupDiscount: DiscountRow | null
  orderShares: Map<string, Map<number, Decimal>>
  lists: Map<string, ListRow>
  primary: ListRow
  fallback: ListRow | null
}

interface Candidate {
  d: DiscountRow
  alone: Decimal
}

function finishLine(line: PricedLine, env: FinishEnv): QuoteLine {
  const r = (d: Decimal) => round(d, env.scale, env.mode)
  const money = (d: Decimal) => fixed(d, env.scale)
  const explanation = priceExplanation(line, env.primary, env.fallback, env.date)
  const base = line.base
  const applied: Array<{ d: DiscountRow; amount: Decimal }> = []

  if (line.input.override === undefined) {
    const candidates: Candidate[] = []
    const all = [...(env.groupDiscount ? [env.groupDiscount] : []), ...env.discounts.filter((d) => covers(d, line))]
    for (const d of all) {
      const why = ineligible(d, line, env)
      if (why) {
        explanation.push(`discount ${d.code} not applied: ${why}`)
        continue
      }
      candidates.push({ d, alone: standalone(d, line, env) })
    }
    const exclusive = candidates
      .filter((c) => c.d.stacking === 'exclusive')
      .sort((a, b) => b.alone.comparedTo(a.alone) || a.d.priority - b.d.priority || a.d.code.localeCompare(b.d.code))
    const stackable = candidates
      .filter((c) => c.d.stacking === 'stackable')
      .sort((a, b) => a.d.priority - b.d.priority || a.d.code.localeCompare(b.d.code))
    let remaining = base
    const stack: Array<{ d: DiscountRow; amount: Decimal }> = []
    for (const c of stackable) {
      const amount = c.d.kind === 'percent' ? r(remaining.times(c.d.value).dividedBy(100)) : Decimal.min(c.alone, remaining)
      stack.push({ d: c.d, amount })
      remaining = remaining.minus(amount)
    }
    const stackTotal = base.minus(remaining)
    const best = exclusive[0]
    if (best && best.alone.greaterThanOrEqualTo(stackTotal)) {
      applied.push({ d: best.d, amount: best.alone })
      explanation.push(`discount ${best.d.code} applied (exclusive): ${describeAmount(best.d, best.alone, base, line, env)}`)
      if (stack.length > 0) {
        explanation.push(`not applied: the stackable ${stack.map((s) => s.d.code).join(' + ')} would take ${money(stackTotal)}, not more than exclusive ${best.d.code} (${money(best.alone)})`)
      }
    } else {
      applied.push(...stack)
      for (const s of stack) explanation.push(`discount ${s.d.code} applied (stackable, priority ${s.d.priority}): ${describeAmount(s.d, s.amount, base, line, env)}`)
      if (best) explanation.push(`discount ${best.d.code} not applied: exclusive, takes ${money(best.alone)}, less than the stack (${money(stackTotal)})`)
    }
    for (const c of exclusive.slice(1)) {
      explanation.push(`discount ${c.d.code} not applied: exclusive, takes ${money(c.alone)}, not more than ${best.d.code} (${money(best.alone)})`)
    }
  }

  const discountTotal = applied.reduce((a, x) => a.plus(x.amount), new Decimal(0))
  const amount = base.minus(discountTotal)
  const rate = line.taxRate
  const inclusive = line.list.tax_inclusive
  const tax = inclusive ? r(amount.times(rate).dividedBy(rate.plus(100))) : r(amount.times(rate).dividedBy(100))
  const net = inclusive ? amount.minus(tax) : amount
  const gross = inclusive ? amount : amount.plus(tax)
  const factor = rate.plus(100).dividedBy(100)
  const unitNet = inclusive ? round(line.unit.dividedBy(factor), PRICE_SCALE, env.mode) : line.unit
  const unitGross = inclusive ? line.unit : round(line.unit.times(factor), PRICE_SCALE, env.mode)
  explanation.push(`tax ${line.row.tax_class} ${plain(rate)}% on a ${inclusive ? 'gross (tax-inclusive)' : 'net'} amount of ${money(amount)}: ${money(tax)}`)

  const item = line.found.item
  return {
    line: line.index + 1,
    sku: line.input.sku,
    productId: line.row.product_id!,
    name: line.row.name!,
    qty: plain(line.input.qty),
    priceList: line.list.code,
    priceSource: line.input.override !== undefined ? 'override' : line.found.fellBack ? 'fallback' : 'list',
    break: line.input.override === undefined && item ? { minQty: item.minQty, validFrom: item.validFrom, validTo: item.validTo } : null,
    unitPrice: fixed(line.unit, PRICE_SCALE),
    taxInclusive: inclusive,
    unitPriceNet: fixed(unitNet, PRICE_SCALE),
    unitPriceGross: fixed(unitGross, PRICE_SCALE),
    amountBeforeDiscounts: money(base),
    discounts: applied.map(({ d, amount: a }) => ({
      code: d.code, name: d.name, kind: d.kind, value: d.value, scope: d.code.startsWith('group:') ? 'group' : d.scope,
      stacking: d.stacking, amount: money(a),
    })),
    discountTotal: money(discountTotal),
    taxClass: line.row.tax_class!,
    taxRate: plain(rate),
    net: money(net),
    tax: money(tax),
    gross: money(gross),
    explanation,
  }
}

/** A discount's amount on its own, against B. */
function standalone(d: DiscountRow, line: PricedLine, env: FinishEnv): Decimal {
  const base = line.base
  if (d.kind === 'percent') return round(base.times(d.value).dividedBy(100), env.scale, env.mode)
  const amount = d.scope === 'order'
    ? env.orderShares.get(d.code)?.get(line.index) ?? new Decimal(0)
    : round(new Decimal(d.value).times(line.input.qty), env.scale, env.mode)
  return Decimal.min(amount, base)
}

function describeAmount(d: DiscountRow, amount: Decimal, base: Decimal, line: PricedLine, env: DiscountEnv): string {
  const money = (x: Decimal) => fixed(x, env.scale)
  if (d.kind === 'percent') return `${d.value}% → ${money(amount)}`
  if (d.scope === 'order') return `${money(new Decimal(d.value))} off the order, this line's share ${money(amount)}`
  const capped = amount.lessThan(new Decimal(d.value).times(line.input.qty)) ? ` (capped at the line amount ${money(base)})` : ''
  return `${money(new Decimal(d.value))} off each of ${plain(line.input.qty)} → ${money(amount)}${capped}`
}

function summariseTaxes(lines: QuoteLine[], scale: number): TaxSummary[] {
  const byRate = new Map<string, { net: Decimal; tax: Decimal; gross: Decimal }>()
  for (const l of lines) {
    const key = plain(l.taxRate)
    const t = byRate.get(key) ?? { net: new Decimal(0), tax: new Decimal(0), gross: new Decimal(0) }
    byRate.set(key, { net: t.net.plus(l.net), tax: t.tax.plus(l.tax), gross: t.gross.plus(l.gross) })
  }
  return [...byRate.entries()]
    .sort((a, b) => new Decimal(a[0]).comparedTo(b[0]))
    .map(([rate, t]) => ({ rate, net: fixed(t.net, scale), tax: fixed(t.tax, scale), gross: fixed(t.gross, scale) }))
}
