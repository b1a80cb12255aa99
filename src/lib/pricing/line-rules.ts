import { describePeriod, inPeriod } from './checks.js'
import { Decimal, PRICE_SCALE, allocate, fixed, plain, round, type RoundingMode } from './money.js'
import { priceExplanation } from './price-choice.js'
import type { DiscountRow, ListRow, PricedLine, QuoteLine, TaxSummary } from './quote-types.js'

/**
 * The pure rules of steps 4 to 6 (see resolve.ts): which discounts a line gets and how they stack,
 * the tax, the rounding. No database: everything arrives as data.
 */

// ---- step 4: discounts -----------------------------------------------------------------------

export interface DiscountEnv {
  date: string
  currency: string
  groupId: string | null
  order: { qty: Decimal; amount: Decimal }
  scale: number
  mode: RoundingMode
}

export function groupDiscountRow(groupCode: string, groupId: string, percent: string): DiscountRow {
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
export function shareOrderAmounts(discounts: DiscountRow[], lines: PricedLine[], env: DiscountEnv): Map<string, Map<number, Decimal>> {
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

export interface FinishEnv extends DiscountEnv {
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

export function finishLine(line: PricedLine, env: FinishEnv): QuoteLine {
  const r = (d: Decimal) => round(d, env.scale, env.mode)
  const money = (d: Decimal) => fixed(d, env.scale)
  const explanation = priceExplanation(line, env.primary, env.fallback, env.date)
  const base = line.base
  const applied: Array<{ d: DiscountRow; amount: Decimal }> = []

  const own = line.input.discountPercent
  if (own !== undefined) {
    const amount = r(base.times(own).dividedBy(100))
    applied.push({ d: lineDiscountRow(own), amount })
    explanation.push(`line discount ${plain(own)}% → ${money(amount)}; automatic discounts not applied`)
  } else if (line.input.override === undefined) {
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
  const inclusive = env.primary.tax_inclusive
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
      code: d.code, name: d.name, kind: d.kind, value: d.value, scope: d.code === LINE_DISCOUNT ? 'line' : d.code.startsWith('group:') ? 'group' : d.scope,
      stacking: d.stacking, amount: money(a),
    })),
    discountTotal: money(discountTotal),
    discountPercent: own === undefined ? null : plain(own),
    taxClass: line.row.tax_class!,
    taxRate: plain(rate),
    net: money(net),
    tax: money(tax),
    gross: money(gross),
    explanation,
  }
}

const LINE_DISCOUNT = 'line'

/** A line's own discount, as the applied list shows it. */
function lineDiscountRow(percent: Decimal): DiscountRow {
  return {
    code: LINE_DISCOUNT, name: 'Line discount', kind: 'percent', value: plain(percent), currency: null, scope: 'product',
    product_id: null, category_path: null, group_id: null, group_code: null, valid_from: null, valid_to: null,
    min_qty: null, min_amount: null, stacking: 'exclusive', priority: 0,
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

export function summariseTaxes(lines: QuoteLine[], scale: number): TaxSummary[] {
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
