import { expect } from 'chai'
import type { Knex } from 'knex'

import { ErpError } from '../../../src/lib/errors.js'
import type { Db } from '../../../src/lib/db/connect.js'
import { createDiscount, type CreateDiscountInput } from '../../../src/lib/pricing/discounts.js'
import { createPriceList, updatePriceList } from '../../../src/lib/pricing/price-lists.js'
import { setPrice } from '../../../src/lib/pricing/prices.js'
import { quote, type Quote, type QuoteInput } from '../../../src/lib/pricing/resolve.js'
import { setSetting } from '../../../src/lib/settings/settings.js'
import { openTestDb } from '../../helpers/database.js'
import { pricingTenant, scratch } from './fixtures.js'

async function failure(promise: Promise<unknown>): Promise<ErpError> {
  try {
    await promise
  } catch (err) {
    expect(err).to.be.instanceOf(ErpError)
    return err as ErpError
  }
  throw new Error('expected a failure')
}

const discount = (trx: Knex.Transaction, input: Partial<CreateDiscountInput> & { code: string }) =>
  createDiscount(trx, { kind: 'percent', value: '10', order: input.sku === undefined && input.category === undefined ? true : undefined, ...input })

describe('pricing/resolve quote()', function () {
  let db: Db
  let slug: string

  before(async function () {
    this.timeout(60_000)
    db = await openTestDb()
    slug = await pricingTenant(db)
  })
  after(async () => db.close())

  /** A RETAIL default list (net, EUR) with a price for each product. */
  async function retail(trx: Knex.Transaction, options: { taxInclusive?: boolean } = {}): Promise<void> {
    await createPriceList(trx, { code: 'RETAIL', currency: 'EUR', taxInclusive: options.taxInclusive, isDefault: true })
    for (const [sku, price] of [['DRILL', '100'], ['HAMMER', '10'], ['NAILS', '2.50'], ['ODD', '7'], ['BOOK', '9.99'], ['GIFT', '25'], ['OLD', '1']]) {
      await setPrice(trx, { priceList: 'RETAIL', sku, price })
    }
  }
  const q = (trx: Knex.Transaction, lines: Array<[string, string] | [string, string, string]>, rest: Omit<QuoteInput, 'lines'> = {}): Promise<Quote> =>
    quote(trx, { ...rest, lines: lines.map(([sku, qty, override]) => ({ sku, qty, ...(override ? { unitPriceOverride: override } : {}) })) })

  describe('price list, breaks and validity', () => {
    it('applies a break from its exact quantity on, not a hair below', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await setPrice(trx, { priceList: 'RETAIL', sku: 'HAMMER', price: '9', minQty: '10' })
        await setPrice(trx, { priceList: 'RETAIL', sku: 'HAMMER', price: '8', minQty: '50' })
        const result = await q(trx, [['HAMMER', '9.9999'], ['HAMMER', '10'], ['HAMMER', '49'], ['HAMMER', '50'], ['HAMMER', '0.5']])
        expect(result.lines.map((l) => [l.unitPrice, l.break?.minQty])).to.deep.equal([
          ['10.0000', '0'], ['9.0000', '10'], ['9.0000', '10'], ['8.0000', '50'], ['10.0000', '0'],
        ])
        expect(result.lines[0].amountBeforeDiscounts).to.equal('100.00') // 9.9999 × 10 = 99.999
        expect(result.lines[0].explanation).to.include('not used: ≥10 at 9.0000 (always): quantity 9.9999 is below 10')
        expect(result.lines[2].explanation).to.include('not used: ≥0 at 10.0000 (always): the higher break ≥10 applies')
      }))

    it('honours validity dates inclusively, the last day included', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await setPrice(trx, { priceList: 'RETAIL', sku: 'HAMMER', price: '7.50', validFrom: '2026-12-01', validTo: '2026-12-31' })
        const at = async (date: string) => (await q(trx, [['HAMMER', '1']], { date })).lines[0]
        expect((await at('2026-11-30')).unitPrice).to.equal('10.0000')
        expect((await at('2026-12-01')).unitPrice).to.equal('7.5000')
        expect((await at('2026-12-31')).unitPrice).to.equal('7.5000')
        const after = await at('2027-01-01')
        expect(after.unitPrice).to.equal('10.0000')
        expect(after.explanation).to.include('not used: ≥0 at 7.5000 (2026-12-01..2026-12-31): not valid on 2027-01-01')
        expect((await at('2024-02-29')).unitPrice).to.equal('10.0000')
      }))

    it('lets a later-starting price supersede an open-ended one (a price change)', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await setPrice(trx, { priceList: 'RETAIL', sku: 'HAMMER', price: '11', validFrom: '2027-01-01' })
        expect((await q(trx, [['HAMMER', '1']], { date: '2026-12-31' })).lines[0].unitPrice).to.equal('10.0000')
        const line = (await q(trx, [['HAMMER', '1']], { date: '2027-01-01' })).lines[0]
        expect(line.unitPrice).to.equal('11.0000')
        expect(line.explanation).to.include('not used: ≥0 at 10.0000 (always): superseded by the price valid from 2027-01-01')
      }))

    it("uses the customer group's list, falling back to the default list in the same currency only", () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await createPriceList(trx, { code: 'TRADE', currency: 'EUR' })
        await setPrice(trx, { priceList: 'TRADE', sku: 'HAMMER', price: '6' })
        await trx.raw("update customer_groups set price_list_id = (select id from price_lists where code = 'TRADE') where code = 'TRADE'")
        const trade = await q(trx, [['HAMMER', '1'], ['NAILS', '1']], { customer: 'C-TRADE' })
        expect(trade.priceList).to.deep.include({ code: 'TRADE', source: 'customer group' })
        expect(trade.lines.map((l) => [l.priceList, l.priceSource, l.unitPrice])).to.deep.equal([['TRADE', 'list', '6.0000'], ['RETAIL', 'fallback', '2.5000']])
        const plain = await q(trx, [['HAMMER', '1']], { customer: 'C-PLAIN' })
        expect(plain.lines[0]).to.include({ priceList: 'RETAIL', unitPrice: '10.0000' })

        await createPriceList(trx, { code: 'EXPORT', currency: 'USD' })
        await setPrice(trx, { priceList: 'EXPORT', sku: 'HAMMER', price: '12' })
        await trx.raw("update customer_groups set price_list_id = (select id from price_lists where code = 'EXPORT') where code = 'TRADE'")
        const err = await failure(q(trx, [['HAMMER', '1'], ['NAILS', '1']], { customer: 'C-TRADE' }))
        expect(err.kind).to.equal('INVALID_DATA')
        expect(err.message).to.contain('no price for "NAILS" in EXPORT')
      }))
  })

  describe('mixed tax bases', () => {
    it('brings a net fallback price to a tax-inclusive group list\'s basis before adding lines or splitting an order discount', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await createPriceList(trx, { code: 'TRADE', currency: 'EUR', taxInclusive: true })
        await setPrice(trx, { priceList: 'TRADE', sku: 'HAMMER', price: '143.88' })
        await trx.raw("update customer_groups set price_list_id = (select id from price_lists where code = 'TRADE') where code = 'TRADE'")
        await discount(trx, { code: 'ORDER10', kind: 'amount', value: '16.80', currency: 'EUR' })
        // NAILS is only in RETAIL, net 2.50 at 20 %: 3.0000 gross; 7 of them 21.00, beside a gross 143.88.
        const mixed = await q(trx, [['HAMMER', '1'], ['NAILS', '7']], { customer: 'C-TRADE' })
        expect(mixed.priceList).to.include({ code: 'TRADE', taxInclusive: true })
        expect(mixed.lines.map((l) => [l.priceList, l.priceSource, l.taxInclusive, l.unitPrice, l.amountBeforeDiscounts]))
          .to.deep.equal([['TRADE', 'list', true, '143.8800', '143.88'], ['RETAIL', 'fallback', true, '3.0000', '21.00']])
        expect(mixed.lines[1].explanation).to.include('2.5000 net in RETAIL is 3.0000 gross at 20%, the basis of TRADE')
        expect(mixed.totals.beforeDiscounts).to.equal('164.88')
        // The order discount is shared in proportion to the gross amounts: 143.88 and 21.00 of 164.88.
        expect(mixed.lines.map((l) => l.discountTotal)).to.deep.equal(['14.66', '2.14'])
        expect(mixed.lines[1]).to.include({ net: '15.72', tax: '3.14', gross: '18.86' })

        // And the other way: a net group list falling back to a tax-inclusive default.
        await updatePriceList(trx, 'RETAIL', { taxInclusive: true })
        await updatePriceList(trx, 'TRADE', { taxInclusive: false })
        const other = await q(trx, [['NAILS', '6']], { customer: 'C-TRADE' })
        expect(other.lines[0]).to.include({ taxInclusive: false, unitPrice: '2.0833', amountBeforeDiscounts: '12.50' })
      }))
  })

  describe('tax', () => {
    it('adds tax to net prices and extracts it from gross prices, per line', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await createPriceList(trx, { code: 'SHOP', currency: 'EUR', taxInclusive: true, isDefault: true })
        await setPrice(trx, { priceList: 'SHOP', sku: 'HAMMER', price: '12' })
        await setPrice(trx, { priceList: 'SHOP', sku: 'BOOK', price: '10.55' })
        const gross = await q(trx, [['HAMMER', '1'], ['BOOK', '1']])
        expect(gross.lines[0]).to.include({ taxInclusive: true, unitPriceNet: '10.0000', unitPriceGross: '12.0000', net: '10.00', tax: '2.00', gross: '12.00' })
        expect(gross.lines[1]).to.include({ taxRate: '5.5', net: '10.00', tax: '0.55', gross: '10.55' })
        expect(gross.taxes).to.deep.equal([
          { rate: '5.5', net: '10.00', tax: '0.55', gross: '10.55' },
          { rate: '20', net: '10.00', tax: '2.00', gross: '12.00' },
        ])
        await updatePriceList(trx, 'RETAIL', { isDefault: true })
        const net = await q(trx, [['HAMMER', '3'], ['GIFT', '1']])
        expect(net.lines[0]).to.include({ taxInclusive: false, unitPriceGross: '12.0000', net: '30.00', tax: '6.00', gross: '36.00' })
        expect(net.lines[1]).to.include({ taxClass: 'zero', taxRate: '0', tax: '0.00', gross: '25.00' })
        expect(net.totals).to.deep.equal({ beforeDiscounts: '55.00', discount: '0.00', net: '55.00', tax: '6.00', gross: '61.00' })
      }))

    it('refuses a product whose tax class has no rate, saying how to set it', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await setPrice(trx, { priceList: 'RETAIL', sku: 'EXOTIC', price: '1' })
        const err = await failure(q(trx, [['EXOTIC', '1']]))
        expect(err.message).to.contain('no tax rate for tax class "luxury"')
        expect(err.actions).to.include('Set it: erp taxes set luxury <percent>')
      }))
  })

  describe('bad inputs', () => {
    it('reports every bad input at once: the quantities, the date, the customer and the SKUs', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        const err = await failure(q(trx, [['DRILL', '-1'], ['HAMMER', '0'], ['NOPE', '1'], ['', '1']], { customer: 'NOBODY', date: '2026-02-30' }))
        const problems = (err.data as { problems: Array<{ field: string; message: string }> }).problems
        expect(problems.map((p) => `${p.field}: ${p.message}`)).to.have.members([
          'date: "2026-02-30" is not a date (write it as YYYY-MM-DD)',
          'lines[1].qty: must be more than zero (got -1)',
          'lines[2].qty: must be more than zero (got 0)',
          'lines[3].sku: no product "NOPE"',
          'lines[4].sku: a SKU is required',
          'customer: no customer "NOBODY"',
        ])
      }))
  })

  describe('rounding', () => {
    it('rounds per line with the tenant mode: half_up vs half_even on exact ties', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await setPrice(trx, { priceList: 'RETAIL', sku: 'HAMMER', price: '1.005' })
        await setPrice(trx, { priceList: 'RETAIL', sku: 'NAILS', price: '2.675' })
        await setPrice(trx, { priceList: 'RETAIL', sku: 'DRILL', price: '0.0625' }) // × 2 = 0.125
        const lines: Array<[string, string]> = [['HAMMER', '1'], ['NAILS', '1'], ['DRILL', '2']]
        const up = await q(trx, lines)
        expect(up.rounding).to.deep.equal({ mode: 'half_up', scale: 2, per: 'line' })
        expect(up.lines.map((l) => l.amountBeforeDiscounts)).to.deep.equal(['1.01', '2.68', '0.13'])
        await setSetting(trx, 'rounding.mode', 'half_even')
        const even = await q(trx, lines)
        expect(even.lines.map((l) => l.amountBeforeDiscounts)).to.deep.equal(['1.00', '2.68', '0.12'])
        // tax 20 % of 1.00 = 0.20; of 2.68 = 0.536 → 0.54; of 0.12 = 0.024 → 0.02: totals are sums of rounded lines
        expect(even.totals).to.deep.equal({ beforeDiscounts: '3.80', discount: '0.00', net: '3.80', tax: '0.76', gross: '4.56' })
      }))

    it('adds 0.1 and 0.2 to exactly 0.30, and rounds a gross tax tie by the mode', () =>
      scratch(db, slug, async (trx) => {
        await createPriceList(trx, { code: 'G', currency: 'EUR', taxInclusive: true })
        await setPrice(trx, { priceList: 'G', sku: 'HAMMER', price: '0.1' })
        await setPrice(trx, { priceList: 'G', sku: 'NAILS', price: '0.2' })
        await setPrice(trx, { priceList: 'G', sku: 'DRILL', price: '0.15' }) // tax 0.15 × 20/120 = 0.025 exactly
        const result = await q(trx, [['HAMMER', '1'], ['NAILS', '1']])
        expect(result.totals.gross).to.equal('0.30')
        expect((await q(trx, [['DRILL', '1']])).lines[0]).to.include({ tax: '0.03', net: '0.12' })
        await setSetting(trx, 'rounding.mode', 'half_even')
        expect((await q(trx, [['DRILL', '1']])).lines[0]).to.include({ tax: '0.02', net: '0.13' })
      }))

    it("rounds to the currency's minor unit (JPY: none)", () =>
      scratch(db, slug, async (trx) => {
        await createPriceList(trx, { code: 'JP', currency: 'JPY' })
        await setPrice(trx, { priceList: 'JP', sku: 'HAMMER', price: '333.5' })
        const line = (await q(trx, [['HAMMER', '1']])).lines[0]
        expect(line).to.include({ amountBeforeDiscounts: '334', tax: '67', gross: '401' })
      }))
  })

  describe('discounts', () => {
    it('covers a category and its sub-categories, not a sibling sharing a name prefix', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'HW10', category: 'Hardware' })
        const result = await q(trx, [['DRILL', '1'], ['HAMMER', '1'], ['NAILS', '1'], ['ODD', '1'], ['BOOK', '1']])
        expect(result.lines.map((l) => l.discountTotal)).to.deep.equal(['10.00', '1.00', '0.25', '0.00', '0.00'])
        expect(result.lines[3].explanation.join(' ')).to.not.contain('HW10')
      }))

    it('exclusive: the best single discount wins; the others say why not', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'A5', value: '5', sku: 'DRILL' })
        await discount(trx, { code: 'B15', value: '15', category: 'Hardware/Tools' })
        await discount(trx, { code: 'C3', kind: 'amount', value: '3', currency: 'EUR', sku: 'DRILL' })
        const line = (await q(trx, [['DRILL', '2']])).lines[0]
        expect(line.discounts).to.deep.equal([
          { code: 'B15', name: 'B15', kind: 'percent', value: '15', scope: 'category', stacking: 'exclusive', amount: '30.00' },
        ])
        expect(line.net).to.equal('170.00')
        expect(line.explanation).to.include('discount A5 not applied: exclusive, takes 10.00, not more than B15 (30.00)')
        expect(line.explanation).to.include('discount C3 not applied: exclusive, takes 6.00, not more than B15 (30.00)')
      }))

    it('stackable: applied in priority order, compounding (10% then 5% = 14.5%)', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'LATE5', value: '5', sku: 'DRILL', stacking: 'stackable', priority: 200 })
        await discount(trx, { code: 'EARLY10', value: '10', category: 'Hardware', stacking: 'stackable', priority: 10 })
        await discount(trx, { code: 'FIX2', kind: 'amount', value: '2', currency: 'EUR', sku: 'DRILL', stacking: 'stackable', priority: 100 })
        const line = (await q(trx, [['DRILL', '1']])).lines[0]
        // 100 − 10% = 90; − 2 = 88; − 5% = 83.60
        expect(line.discounts.map((d) => [d.code, d.amount])).to.deep.equal([['EARLY10', '10.00'], ['FIX2', '2.00'], ['LATE5', '4.40']])
        expect(line).to.include({ discountTotal: '16.40', net: '83.60' })
      }))

    it('exclusive vs the stack: the larger wins, a tie goes to the exclusive one', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'S10', value: '10', sku: 'DRILL', stacking: 'stackable' })
        await discount(trx, { code: 'S5', value: '5', sku: 'DRILL', stacking: 'stackable' })
        await discount(trx, { code: 'X14', value: '14', sku: 'DRILL' })
        let line = (await q(trx, [['DRILL', '1']])).lines[0]
        expect(line.discounts.map((d) => d.code)).to.deep.equal(['S10', 'S5']) // 14.50 > 14.00
        expect(line.explanation).to.include('discount X14 not applied: exclusive, takes 14.00, less than the stack (14.50)')
        await discount(trx, { code: 'X14_5', value: '14.5', sku: 'DRILL' })
        line = (await q(trx, [['DRILL', '1']])).lines[0]
        expect(line.discounts.map((d) => d.code)).to.deep.equal(['X14_5']) // tie: exclusive
        expect(line.explanation).to.include('not applied: the stackable S10 + S5 would take 14.50, not more than exclusive X14_5 (14.50)')
      }))

    it('checks dates (last day included), minimum quantity and amount, group and currency', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'DEC', value: '10', sku: 'HAMMER', validFrom: '2026-12-01', validTo: '2026-12-31' })
        await discount(trx, { code: 'QTY', value: '11', sku: 'NAILS', minQty: '10' })
        await discount(trx, { code: 'AMT', value: '12', sku: 'DRILL', minAmount: '200', currency: 'EUR' })
        await discount(trx, { code: 'VIPONLY', value: '13', sku: 'BOOK', group: 'VIP' })
        await discount(trx, { code: 'USD', kind: 'amount', value: '1', currency: 'USD', sku: 'GIFT' })
        const at = (date: string, lines: Array<[string, string]>, customer?: string) => q(trx, lines, { date, customer })
        expect((await at('2026-12-31', [['HAMMER', '1']])).lines[0].discountTotal).to.equal('1.00')
        const jan = (await at('2027-01-01', [['HAMMER', '1']])).lines[0]
        expect(jan.discountTotal).to.equal('0.00')
        expect(jan.explanation).to.include('discount DEC not applied: valid 2026-12-01..2026-12-31, not on 2027-01-01')
        const lines = (await at('2026-12-15', [['NAILS', '9'], ['NAILS', '10'], ['DRILL', '1'], ['DRILL', '2'], ['BOOK', '1'], ['GIFT', '1']])).lines
        expect(lines.map((l) => l.discountTotal)).to.deep.equal(['0.00', '2.75', '0.00', '24.00', '0.00', '0.00'])
        expect(lines[0].explanation).to.include('discount QTY not applied: needs a quantity of 10, the line has 9')
        expect(lines[2].explanation).to.include('discount AMT not applied: needs an amount of 200.00, the line has 100.00')
        expect(lines[4].explanation).to.include('discount VIPONLY not applied: only for customer group VIP')
        expect(lines[5].explanation).to.include('discount USD not applied: in USD, the quote is in EUR')
        const vip = (await at('2026-12-15', [['BOOK', '1']], 'C-VIP')).lines[0]
        // VIPONLY 13 % (exclusive, 1.30) beats the group's stackable 5 % (0.50)
        expect(vip.discounts.map((d) => [d.code, d.amount])).to.deep.equal([['VIPONLY', '1.30']])
      }))

    it('shares an order amount discount over the lines in proportion, to the cent', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'ORD10', kind: 'amount', value: '10', currency: 'EUR', minAmount: '100' })
        const small = await q(trx, [['HAMMER', '9']])
        expect(small.totals.discount).to.equal('0.00')
        expect(small.lines[0].explanation).to.include('discount ORD10 not applied: needs an amount of 100.00, the order has 90.00')
        const result = await q(trx, [['HAMMER', '1'], ['HAMMER', '1'], ['HAMMER', '1'], ['DRILL', '1'], ['NAILS', '3']])
        expect(result.lines.map((l) => l.discountTotal)).to.deep.equal(['0.73', '0.73', '0.73', '7.27', '0.54'])
        expect(result.totals.discount).to.equal('10.00')
        expect(result.lines[0].explanation).to.include("discount ORD10 applied (exclusive): 10.00 off the order, this line's share 0.73")
      }))

    it("adds the customer group's percent as a stackable discount of priority 0", () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'S10', value: '10', sku: 'DRILL', stacking: 'stackable' })
        const line = (await q(trx, [['DRILL', '1']], { customer: 'C-VIP' })).lines[0]
        expect(line.discounts.map((d) => [d.code, d.scope, d.amount])).to.deep.equal([['group:VIP', 'group', '5.00'], ['S10', 'product', '9.50']])
        expect(line.net).to.equal('85.50')
      }))

    it('never takes a line below zero', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'BIG', kind: 'amount', value: '5', currency: 'EUR', sku: 'NAILS', stacking: 'stackable' })
        await discount(trx, { code: 'PCT', value: '50', sku: 'NAILS', stacking: 'stackable', priority: 200 })
        const line = (await q(trx, [['NAILS', '2']])).lines[0]
        expect(line).to.include({ amountBeforeDiscounts: '5.00', discountTotal: '5.00', net: '0.00', tax: '0.00' })
      }))

    it('ignores archived discounts', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'GONE', value: '10', sku: 'DRILL' })
        await trx.raw("update discounts set archived_at = now() where code = 'GONE'")
        const line = (await q(trx, [['DRILL', '1']])).lines[0]
        expect(line.discountTotal).to.equal('0.00')
        expect(line.explanation.join(' ')).to.not.contain('GONE')
      }))
  })

  describe('overrides and bad input', () => {
    it('uses an override price and applies no automatic discount to that line', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'ALL10', value: '10', stacking: 'stackable' })
        const result = await q(trx, [['DRILL', '2', '80.5'], ['DRILL', '1']], { customer: 'C-VIP' })
        expect(result.lines[0]).to.include({ priceSource: 'override', unitPrice: '80.5000', amountBeforeDiscounts: '161.00', discountTotal: '0.00' })
        expect(result.lines[0].break).to.equal(null)
        expect(result.lines[0].explanation).to.include('automatic discounts not applied: the unit price is overridden')
        expect(result.lines[1].discountTotal).to.not.equal('0.00')
      }))

    it('prices a product without a list price when the line overrides it', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        const result = await q(trx, [['BOOK', '1', '0']])
        expect(result.lines[0]).to.include({ unitPrice: '0.0000', gross: '0.00' })
      }))

    it('reports every unknown SKU, the unknown customer and bad quantities at once', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        const err = await failure(q(trx, [['NOPE', '1'], ['HAMMER', '1'], ['ALSO-NOPE', '2'], ['OLD', '1']], { customer: 'WHO' }))
        expect(err.kind).to.equal('INVALID_DATA')
        const problems = (err.data as { problems: Array<{ field: string; message: string }> }).problems
        expect(problems).to.deep.equal([
          { field: 'customer', message: 'no customer "WHO"' },
          { field: 'lines[1].sku', message: 'no product "NOPE"' },
          { field: 'lines[3].sku', message: 'no product "ALSO-NOPE"' },
          { field: 'lines[4].sku', message: 'product "OLD" is inactive' },
        ])
        const input = await failure(q(trx, [['HAMMER', '0'], ['HAMMER', '-1'], ['HAMMER', '1.5e3'], ['HAMMER', '1', '-2']], { date: '2026-02-30' }))
        expect((input.data as { problems: Array<{ field: string }> }).problems.map((p) => p.field)).to.deep.equal([
          'date', 'lines[1].qty', 'lines[2].qty', 'lines[3].qty', 'lines[4].unitPriceOverride',
        ])
        const none = await failure(quote(trx, { lines: [] }))
        expect(none.message).to.contain('a quote needs at least one line')
      }))

    it('says so when the tenant has no default price list', () =>
      scratch(db, slug, async (trx) => {
        const err = await failure(q(trx, [['HAMMER', '1']]))
        expect(err.message).to.contain('the tenant has no default price list')
      }))

    it('reads the same number of queries for 1 line and for 50', () =>
      scratch(db, slug, async (trx) => {
        await retail(trx)
        await discount(trx, { code: 'HW', value: '3', category: 'Hardware', stacking: 'stackable' })
        const count = async (n: number) => {
          let queries = 0
          const onQuery = () => queries++
          trx.client.on('query', onQuery)
          try {
            await q(trx, Array.from({ length: n }, (_, i) => [['DRILL', 'HAMMER', 'NAILS', 'BOOK'][i % 4], String(i + 1)] as [string, string]))
          } finally {
            trx.client.removeListener('query', onQuery)
          }
          return queries
        }
        const one = await count(1)
        expect(one).to.be.at.most(3)
        expect(await count(50)).to.equal(one)
      }))
  })
})
