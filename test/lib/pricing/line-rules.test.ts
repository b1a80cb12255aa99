import { expect } from 'chai'

import { finishLine, groupDiscountRow, shareOrderAmounts, summariseTaxes, type FinishEnv } from '../../../src/lib/pricing/line-rules.js'
import { Decimal, type RoundingMode } from '../../../src/lib/pricing/money.js'
import { choosePrice } from '../../../src/lib/pricing/price-choice.js'
import type { DiscountRow, ItemRow, ListRow, PricedLine, QuoteLine } from '../../../src/lib/pricing/quote-types.js'

/**
 * The discount, stacking, tax and rounding rules of the resolver as pure functions: no database,
 * every input built here. The quote() tests cover the same rules end to end through the queries.
 */

const LIST: ListRow = { id: '1', code: 'RETAIL', currency: 'EUR', tax_inclusive: false }
const GROSS_LIST: ListRow = { ...LIST, id: '2', code: 'SHOP', tax_inclusive: true }
const DATE = '2026-06-15'

function item(price: string, minQty = '1', listId = LIST.id, validFrom: string | null = null, validTo: string | null = null): ItemRow {
  return { id: `${listId}-${minQty}-${price}-${validFrom}`, listId, minQty, validFrom, validTo, price }
}

interface LineOptions {
  unit: string
  qty?: string
  taxRate?: string
  list?: ListRow
  index?: number
  productId?: string
  categoryPath?: string | null
  scale?: number
  mode?: RoundingMode
  override?: boolean
}

/** A line priced at `unit` × `qty` (B rounded as quote() rounds it). */
function pricedLine(o: LineOptions): PricedLine {
  const qty = new Decimal(o.qty ?? '1')
  const unit = new Decimal(o.unit)
  const list = o.list ?? LIST
  const found = item(o.unit, '1', list.id)
  return {
    index: o.index ?? 0,
    input: { sku: `SKU-${o.index ?? 0}`, qty, ...(o.override ? { override: unit } : {}) },
    row: {
      n: (o.index ?? 0) + 1, product_id: o.productId ?? '10', name: 'Widget', active: true, archived: false,
      tax_class: 'standard', tax_rate: o.taxRate ?? '0', category_path: o.categoryPath ?? null, items: [found],
    },
    found: { item: found, fellBack: false },
    list,
    unit,
    base: unit.times(qty).toDecimalPlaces(o.scale ?? 2, o.mode === 'half_up' ? Decimal.ROUND_HALF_UP : Decimal.ROUND_HALF_EVEN),
    taxRate: new Decimal(o.taxRate ?? '0'),
  }
}

function discount(d: Partial<DiscountRow> & Pick<DiscountRow, 'code' | 'kind' | 'value'>): DiscountRow {
  return {
    name: d.code, currency: d.kind === 'amount' ? 'EUR' : null, scope: 'product', product_id: '10', category_path: null,
    group_id: null, group_code: null, valid_from: null, valid_to: null, min_qty: null, min_amount: null,
    stacking: 'stackable', priority: 10, ...d,
  }
}

function finish(line: PricedLine, discounts: DiscountRow[], env: Partial<FinishEnv> = {}): QuoteLine {
  const lines = [line]
  const base: FinishEnv = {
    date: DATE, currency: 'EUR', groupId: null, scale: 2, mode: 'half_even',
    order: { qty: line.input.qty, amount: line.base },
    discounts, groupDiscount: null, orderShares: new Map(), lists: new Map([[LIST.id, LIST]]), primary: line.list, fallback: null,
    ...env,
  }
  return finishLine(line, { ...base, orderShares: env.orderShares ?? shareOrderAmounts(discounts, lines, base) })
}

const applied = (q: QuoteLine) => q.discounts.map((d) => `${d.code}=${d.amount}`)

describe('pricing rules (pure, no database)', () => {
  describe('stacking', () => {
    it('applies stackable percents one after the other, each on what the previous left', () => {
      const q = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'A', kind: 'percent', value: '10', priority: 1 }),
        discount({ code: 'B', kind: 'percent', value: '10', priority: 2 }),
      ])
      // 10 % of 100, then 10 % of 90: 19 off, not 20.
      expect(applied(q)).to.deep.equal(['A=10.00', 'B=9.00'])
      expect(q.discountTotal).to.equal('19.00')
      expect(q.net).to.equal('81.00')
    })

    it('applies the stack in priority order, lower first, then by code', () => {
      const amountFirst = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'FIVE', kind: 'amount', value: '5', priority: 1 }),
        discount({ code: 'TEN', kind: 'percent', value: '10', priority: 2 }),
      ])
      expect(applied(amountFirst)).to.deep.equal(['FIVE=5.00', 'TEN=9.50'])
      const percentFirst = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'FIVE', kind: 'amount', value: '5', priority: 2 }),
        discount({ code: 'TEN', kind: 'percent', value: '10', priority: 1 }),
      ])
      expect(applied(percentFirst)).to.deep.equal(['TEN=10.00', 'FIVE=5.00'])
      const byCode = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'Z', kind: 'amount', value: '5', priority: 1 }),
        discount({ code: 'M', kind: 'percent', value: '10', priority: 1 }),
      ])
      expect(applied(byCode)).to.deep.equal(['M=10.00', 'Z=5.00'])
    })

    it('never takes the stack below zero: an amount takes at most what is left', () => {
      const q = finish(pricedLine({ unit: '10' }), [
        discount({ code: 'HALF', kind: 'percent', value: '50', priority: 1 }),
        discount({ code: 'BIG', kind: 'amount', value: '8', priority: 2 }),
      ])
      expect(applied(q)).to.deep.equal(['HALF=5.00', 'BIG=5.00'])
      expect(q.net).to.equal('0.00')
    })
  })

  describe('best of exclusive and stack', () => {
    const stack = [
      discount({ code: 'S1', kind: 'percent', value: '10', priority: 1 }),
      discount({ code: 'S2', kind: 'percent', value: '5', priority: 2 }),
    ] // 10.00 + 4.50 = 14.50 off 100

    it('an exclusive discount that takes more than the stack replaces it', () => {
      const q = finish(pricedLine({ unit: '100' }), [...stack, discount({ code: 'X', kind: 'percent', value: '15', stacking: 'exclusive' })])
      expect(applied(q)).to.deep.equal(['X=15.00'])
      expect(q.explanation.join('\n')).to.match(/not applied: the stackable S1 \+ S2 would take 14\.50/)
    })

    it('the stack wins when it takes more than the best exclusive one', () => {
      const q = finish(pricedLine({ unit: '100' }), [...stack, discount({ code: 'X', kind: 'percent', value: '14', stacking: 'exclusive' })])
      expect(applied(q)).to.deep.equal(['S1=10.00', 'S2=4.50'])
      expect(q.explanation.join('\n')).to.match(/discount X not applied: exclusive, takes 14\.00, less than the stack \(14\.50\)/)
    })

    it('on a tie the exclusive one wins', () => {
      const q = finish(pricedLine({ unit: '100' }), [...stack, discount({ code: 'X', kind: 'amount', value: '14.50', stacking: 'exclusive' })])
      expect(applied(q)).to.deep.equal(['X=14.50'])
    })

    it('of several exclusive ones the largest wins; equal ones go by priority, then code', () => {
      const largest = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'A', kind: 'percent', value: '20', stacking: 'exclusive', priority: 1 }),
        discount({ code: 'B', kind: 'percent', value: '25', stacking: 'exclusive', priority: 9 }),
      ])
      expect(applied(largest)).to.deep.equal(['B=25.00'])
      const byPriority = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'A', kind: 'percent', value: '20', stacking: 'exclusive', priority: 9 }),
        discount({ code: 'B', kind: 'amount', value: '20', stacking: 'exclusive', priority: 1 }),
      ])
      expect(applied(byPriority)).to.deep.equal(['B=20.00'])
      const byCode = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'Q', kind: 'percent', value: '20', stacking: 'exclusive', priority: 1 }),
        discount({ code: 'P', kind: 'amount', value: '20', stacking: 'exclusive', priority: 1 }),
      ])
      expect(applied(byCode)).to.deep.equal(['P=20.00'])
    })
  })

  describe('percentage and amount', () => {
    it('a percent is of B; a product amount is off each unit; neither exceeds B', () => {
      const percent = finish(pricedLine({ unit: '12.50', qty: '4' }), [discount({ code: 'P', kind: 'percent', value: '10' })])
      expect(applied(percent)).to.deep.equal(['P=5.00'])
      const perUnit = finish(pricedLine({ unit: '12.50', qty: '4' }), [discount({ code: 'A', kind: 'amount', value: '3' })])
      expect(applied(perUnit)).to.deep.equal(['A=12.00'])
      const capped = finish(pricedLine({ unit: '12.50', qty: '4' }), [discount({ code: 'A', kind: 'amount', value: '30' })])
      expect(applied(capped)).to.deep.equal(['A=50.00'])
      expect(capped.explanation.join('\n')).to.match(/capped at the line amount 50\.00/)
    })

    it('an order amount is split over the lines in proportion to B, the shares summing to it exactly', () => {
      const lines = [0, 1, 2].map((index) => pricedLine({ unit: '1', index }))
      const d = discount({ code: 'ORDER', kind: 'amount', value: '1', scope: 'order', product_id: null })
      const env = { date: DATE, currency: 'EUR', groupId: null, scale: 2, mode: 'half_even' as const, order: { qty: new Decimal(3), amount: new Decimal(3) } }
      const shares = shareOrderAmounts([d], lines, env).get('ORDER')!
      expect([0, 1, 2].map((i) => shares.get(i)!.toFixed(2))).to.deep.equal(['0.34', '0.33', '0.33'])
      const bigger = discount({ ...d, value: '10' })
      const all = shareOrderAmounts([bigger], lines, env).get('ORDER')!
      expect([...all.values()].reduce((a, s) => a.plus(s), new Decimal(0)).toFixed(2)).to.equal('3.00')
    })

    it('an overridden price gets no automatic discount', () => {
      const q = finish(pricedLine({ unit: '100', override: true }), [discount({ code: 'P', kind: 'percent', value: '10' })])
      expect(q.discounts).to.deep.equal([])
      expect(q.priceSource).to.equal('override')
    })

    it('a discount not eligible says why and takes nothing', () => {
      const q = finish(pricedLine({ unit: '100' }), [
        discount({ code: 'USD', kind: 'amount', value: '5', currency: 'USD' }),
        discount({ code: 'MIN', kind: 'percent', value: '5', min_amount: '150' }),
        discount({ code: 'LATER', kind: 'percent', value: '5', valid_from: '2026-07-01' }),
        discount({ code: 'VIP', kind: 'percent', value: '5', group_id: '7', group_code: 'VIP' }),
      ])
      expect(q.discounts).to.deep.equal([])
      const why = q.explanation.join('\n')
      expect(why).to.include('discount USD not applied: in USD, the quote is in EUR')
      expect(why).to.include('discount MIN not applied: needs an amount of 150.00, the line has 100.00')
      expect(why).to.match(/discount LATER not applied: valid .*2026-07-01.*, not on 2026-06-15/)
      expect(why).to.include('discount VIP not applied: only for customer group VIP')
    })

    it('the customer group discount stacks first (priority 0)', () => {
      const group = groupDiscountRow('VIP', '7', '10.00')
      expect(group).to.include({ code: 'group:VIP', kind: 'percent', value: '10', stacking: 'stackable', priority: 0 })
      const q = finish(pricedLine({ unit: '100' }), [discount({ code: 'A', kind: 'amount', value: '10', priority: 1 })], { groupDiscount: group, groupId: '7' })
      expect(applied(q)).to.deep.equal(['group:VIP=10.00', 'A=10.00'])
      expect(q.discounts[0].scope).to.equal('group')
    })
  })

  describe('rounding', () => {
    it('rounds a discount half_even or half_up as the tenant says', () => {
      const tie = [discount({ code: 'P', kind: 'percent', value: '12.5' })] // 12.5 % of 1.00 = 0.125
      expect(applied(finish(pricedLine({ unit: '1' }), tie, { mode: 'half_even' }))).to.deep.equal(['P=0.12'])
      expect(applied(finish(pricedLine({ unit: '1' }), tie, { mode: 'half_up' }))).to.deep.equal(['P=0.13'])
    })

    it('rounds to the currency scale: 0 digits for JPY, 3 for KWD', () => {
      const jpy = finish(pricedLine({ unit: '105', scale: 0 }), [discount({ code: 'P', kind: 'percent', value: '10' })], { scale: 0, mode: 'half_even' })
      expect(applied(jpy)).to.deep.equal(['P=10']) // 10.5 → 10 (even)
      expect(jpy.net).to.equal('95')
      const jpyUp = finish(pricedLine({ unit: '105', scale: 0 }), [discount({ code: 'P', kind: 'percent', value: '10' })], { scale: 0, mode: 'half_up' })
      expect(applied(jpyUp)).to.deep.equal(['P=11'])
      const jpyExclusive = finish(pricedLine({ unit: '105', scale: 0 }), [discount({ code: 'X', kind: 'percent', value: '10', stacking: 'exclusive' })], { scale: 0 })
      expect(applied(jpyExclusive)).to.deep.equal(['X=10'])
      expect(jpyExclusive.net).to.equal('95')
      const jpyAmount = finish(pricedLine({ unit: '105', qty: '3', scale: 0 }), [discount({ code: 'A', kind: 'amount', value: '0.5', currency: 'JPY' })], { scale: 0, currency: 'JPY' })
      expect(applied(jpyAmount)).to.deep.equal(['A=2']) // 0.5 off each of 3 = 1.5 → 2 (even)
      expect(jpyAmount.net).to.equal('313')
      const kwd = finish(pricedLine({ unit: '1.005', scale: 3 }), [discount({ code: 'P', kind: 'percent', value: '10' })], { scale: 3 })
      expect(applied(kwd)).to.deep.equal(['P=0.100']) // 0.1005 → 0.100 (even)
      expect(kwd.net).to.equal('0.905')
    })

    it('rounds the tax per line, on the net or out of the gross', () => {
      const net = finish(pricedLine({ unit: '10.05', taxRate: '7' }), [])
      expect(net).to.include({ net: '10.05', tax: '0.70', gross: '10.75' }) // 0.7035
      const gross = finish(pricedLine({ unit: '100', taxRate: '20', list: GROSS_LIST }), [], { lists: new Map([[GROSS_LIST.id, GROSS_LIST]]) })
      expect(gross).to.include({ net: '83.33', tax: '16.67', gross: '100.00', unitPriceNet: '83.3333', unitPriceGross: '100.0000' })
    })

    it('sums taxes per rate from the rounded lines, so the summary adds up', () => {
      const lines = [
        finish(pricedLine({ unit: '0.05', taxRate: '7', index: 0 }), []),
        finish(pricedLine({ unit: '0.05', taxRate: '7', index: 1 }), []),
        finish(pricedLine({ unit: '1', taxRate: '19', index: 2 }), []),
      ]
      expect(lines.map((l) => l.tax)).to.deep.equal(['0.00', '0.00', '0.19']) // 0.0035 each: no tax, per line
      expect(summariseTaxes(lines, 2)).to.deep.equal([
        { rate: '7', net: '0.10', tax: '0.00', gross: '0.10' },
        { rate: '19', net: '1.00', tax: '0.19', gross: '1.19' },
      ])
    })
  })

  describe('price choice', () => {
    const fallback: ListRow = { ...LIST, id: '9', code: 'DEFAULT' }

    it('takes the highest break the quantity reaches, and a dated price over an open-ended one while it lasts', () => {
      // As readLines sorts them: break descending, then the latest start first.
      const items = [item('8', '10'), item('9', '5', LIST.id, '2026-06-01', '2026-06-30'), item('9.50', '5'), item('10', '1')]
      expect(choosePrice(items, LIST, null, new Decimal('12'), DATE).item?.price).to.equal('8')
      expect(choosePrice(items, LIST, null, new Decimal('9.9999'), DATE).item?.price).to.equal('9')
      expect(choosePrice(items, LIST, null, new Decimal('5'), '2026-07-01').item?.price).to.equal('9.50')
      expect(choosePrice(items, LIST, null, new Decimal('4'), DATE).item?.price).to.equal('10')
    })

    it('falls back to the default list only when the primary list has no price', () => {
      const items = [item('7', '1', fallback.id), item('10', '3')]
      expect(choosePrice(items, LIST, fallback, new Decimal('3'), DATE)).to.deep.include({ fellBack: false })
      const fell = choosePrice(items, LIST, fallback, new Decimal('1'), DATE)
      expect(fell.fellBack).to.equal(true)
      expect(fell.item?.price).to.equal('7')
      expect(choosePrice(items, LIST, null, new Decimal('1'), DATE)).to.deep.equal({ item: null, fellBack: false })
    })
  })
})
