import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWith as failed, okResult as ok, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { inTenant, pricingTenant } from '../lib/pricing/fixtures.js'

describe('erp taxes / price-lists / prices / discounts / settings (through bin/run.js)', function () {
  let db: Db
  let slug: string
  const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])

  before(async function () {
    this.timeout(60_000)
    db = await openTestDb()
    slug = await pricingTenant(db, 'cli')
  })
  after(async () => db.close())

  it('sets and lists tax rates, refusing bad rates and changing nothing then', async () => {
    expect(ok(await erp('taxes', 'set', 'standard', '21'))).to.include({ taxClass: 'standard', rate: '21' })
    const [negative, over, zeroClass] = await Promise.all([
      erp('taxes', 'set', 'standard', '-1'), erp('taxes', 'set', 'standard', '100.5'), erp('taxes', 'set', 'zero', '5'),
    ])
    failed(negative, 65, 'INVALID_DATA')
    failed(over, 65, 'INVALID_DATA')
    const zero = failed(zeroClass, 65, 'INVALID_DATA')
    expect(zero.message).to.contain('the zero class is always 0')
    const rates = ok(await erp('taxes', 'list')).items
    expect(rates.map((r: { taxClass: string; rate: string }) => [r.taxClass, r.rate])).to.deep.equal([['reduced', '5.5'], ['standard', '21'], ['zero', '0']])
    ok(await erp('taxes', 'set', 'standard', '20'))
  })

  it('creates price lists (the first is the default), moves the default, assigns groups', async () => {
    expect(ok(await erp('price-lists', 'create', '--code', 'RETAIL', '--currency', 'eur', '--tax-inclusive'))).to.include({
      code: 'RETAIL', currency: 'EUR', taxInclusive: true, isDefault: true,
    })
    expect(ok(await erp('price-lists', 'create', '--code', 'TRADE', '--name', 'Trade prices', '--currency', 'EUR'))).to.include({ isDefault: false })
    const [duplicate, malformed] = await Promise.all([
      erp('price-lists', 'create', '--code', 'TRADE', '--currency', 'EUR'),
      erp('price-lists', 'create', '--code', 'bad code', '--currency', 'EURO'),
    ])
    failed(duplicate, 1, 'CONFLICT')
    const bad = failed(malformed, 65, 'INVALID_DATA')
    expect(bad.data.problems.map((p: { field: string }) => p.field)).to.deep.equal(['code', 'currency'])
    ok(await erp('price-lists', 'update', 'TRADE', '--default'))
    ok(await erp('price-lists', 'update', 'RETAIL', '--default'))
    const lists = ok(await erp('price-lists', 'list')).items
    expect(lists.map((l: { code: string; isDefault: boolean }) => [l.code, l.isDefault])).to.deep.equal([['RETAIL', true], ['TRADE', false]])
    expect(ok(await erp('price-lists', 'assign', 'TRADE', '--group', 'TRADE')).items).to.deep.equal([{ group: 'TRADE', priceList: 'TRADE' }])
    const unknown = failed(await erp('price-lists', 'assign', 'NOPE', '--group', 'TRADE', '--group', 'GHOST'), 65, 'INVALID_DATA')
    expect(unknown.message).to.contain('no customer group "GHOST"').and.to.contain('no price list "NOPE"')
  })

  it('sets prices with breaks and dates; refuses negative prices and unknown SKUs, writing nothing', async () => {
    const set = await Promise.all([
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'HAMMER', '--price', '12'),
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'HAMMER', '--price', '10.5', '--min-qty', '10'),
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'HAMMER', '--price', '9', '--from', '2026-12-01', '--to', '2026-12-31'),
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'DRILL', '--price', '120'),
      erp('prices', 'set', '--list', 'TRADE', '--sku', 'HAMMER', '--price', '7'),
    ])
    expect(set.map(ok)[1]).to.include({ minQty: '10', price: '10.5000' })
    // Setting the same key again updates it.
    expect(ok(await erp('prices', 'set', '--list', 'RETAIL', '--sku', 'DRILL', '--price', '119.99'))).to.include({ price: '119.9900' })

    const [negativeRun, manyRun, periodRun] = await Promise.all([
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'NAILS', '--price', '-0.01'),
      erp('prices', 'set', '--list', 'NOPE', '--sku', 'GHOST', '--price', '1.23456', '--from', '2026-13-01'),
      erp('prices', 'set', '--list', 'RETAIL', '--sku', 'NAILS', '--price', '1', '--from', '2026-02-01', '--to', '2026-01-31'),
    ])
    expect(failed(negativeRun, 65, 'INVALID_DATA').message).to.contain('must be zero or more')
    const many = failed(manyRun, 65, 'INVALID_DATA')
    expect(many.data.problems.map((p: { field: string }) => p.field)).to.have.members(['price', 'from', 'list', 'sku'])
    failed(periodRun, 65, 'INVALID_DATA')

    ok(await erp('prices', 'set', '--list', 'RETAIL', '--sku', 'NAILS', '--price', '3', '--min-qty', '5'))
    const remove = ['prices', 'remove', '--list', 'RETAIL', '--sku', 'NAILS', '--min-qty', '5']
    failed(await erp(...remove), 2, 'USAGE') // no terminal to confirm: --yes is required
    expect(ok(await erp(...remove, '--yes'))).to.include({ sku: 'NAILS', minQty: '5', price: '3.0000' })
    failed(await erp(...remove, '--yes'), 1, 'NOT_FOUND')

    const retail = ok(await erp('prices', 'list', '--list', 'RETAIL')).items
    expect(retail.map((i: { sku: string; minQty: string; price: string; validFrom: string | null }) => [i.sku, i.minQty, i.price, i.validFrom])).to.deep.equal([
      ['DRILL', '0', '119.9900', null], ['HAMMER', '0', '12.0000', null], ['HAMMER', '0', '9.0000', '2026-12-01'], ['HAMMER', '10', '10.5000', null],
    ])
    expect(ok(await erp('prices', 'list', '--sku', 'HAMMER', '--date', '2027-01-01')).items).to.have.length(3)
  })

  it('creates, lists and archives discounts; refuses bad combinations', async () => {
    const created = ok(await erp('discounts', 'create', '--code', 'TOOLS10', '--percent', '10', '--category', 'Hardware/Tools', '--stacking', 'stackable'))
    expect(created).to.include({ scope: 'category', category: 'Hardware/Tools', stacking: 'stackable', priority: 100, value: '10' })
    ok(await erp('discounts', 'create', '--code', 'GONE', '--amount', '1', '--currency', 'EUR', '--sku', 'HAMMER'))
    const [badRun, over, both, twoScopes, duplicate] = await Promise.all([
      erp('discounts', 'create', '--code', 'X', '--amount', '0', '--sku', 'GHOST', '--from', '2026-02-01', '--to', '2026-01-01'),
      erp('discounts', 'create', '--code', 'X', '--percent', '101', '--order'),
      erp('discounts', 'create', '--code', 'X', '--percent', '5', '--amount', '5', '--order'),
      erp('discounts', 'create', '--code', 'X', '--percent', '5', '--order', '--sku', 'HAMMER'),
      erp('discounts', 'create', '--code', 'TOOLS10', '--percent', '5', '--order'),
    ])
    const bad = failed(badRun, 65, 'INVALID_DATA')
    expect(bad.data.problems.map((p: { field: string }) => p.field)).to.have.members(['value', 'to', 'currency', 'sku'])
    failed(over, 65, 'INVALID_DATA')
    failed(both, 2, 'USAGE')
    failed(twoScopes, 2, 'USAGE')
    failed(duplicate, 1, 'CONFLICT')
    expect(ok(await erp('discounts', 'archive', 'GONE')).archivedAt).to.be.a('string')
    failed(await erp('discounts', 'archive', 'GONE'), 1, 'CONFLICT')
    failed(await erp('discounts', 'archive', 'NEVER'), 1, 'NOT_FOUND')
    expect(ok(await erp('discounts', 'list')).items.map((d: { code: string }) => d.code)).to.deep.equal(['TOOLS10'])
    expect(ok(await erp('discounts', 'list', '--all')).items.map((d: { code: string }) => d.code)).to.deep.equal(['GONE', 'TOOLS10'])
  })

  it('quotes an order with --json, and as a table with totals and reasons', async () => {
    const result = ok(await erp('prices', 'quote', '--customer', 'C-TRADE', '--line', 'HAMMER:10', '--line', 'DRILL:1', '--line', 'HAMMER:2@5', '--date', '2026-11-30'))
    expect(result).to.deep.include({ date: '2026-11-30', currency: 'EUR' })
    expect(result.priceList).to.deep.equal({ code: 'TRADE', currency: 'EUR', taxInclusive: false, source: 'customer group' })
    expect(result.lines.map((l: { priceList: string; priceSource: string; unitPrice: string; discountTotal: string; gross: string }) =>
      [l.priceList, l.priceSource, l.unitPrice, l.discountTotal, l.gross])).to.deep.equal([
      ['TRADE', 'list', '7.0000', '7.00', '75.60'], // 70 − 10 % = 63 net, + 20 % = 75.60
      // The gross 119.99 of the RETAIL fallback in TRADE's net basis: 99.9917; − 10 % = 89.99 net, + 20 % = 107.99.
      ['RETAIL', 'fallback', '99.9917', '10.00', '107.99'],
      ['TRADE', 'override', '5.0000', '0.00', '12.00'],
    ])
    // One basis: before discounts adds net amounts only (70.00 + 99.99 + 10.00).
    expect(result.totals).to.deep.equal({ beforeDiscounts: '179.99', discount: '17.00', net: '162.99', tax: '32.60', gross: '195.59' })
    expect(result.taxes).to.deep.equal([{ rate: '20', net: '162.99', tax: '32.60', gross: '195.59' }])
    expect(result.lines[0].explanation).to.include('discount TOOLS10 applied (stackable, priority 100): 10% → 7.00')

    // The highest break wins over a dated price of a lower break; among equal breaks the dated one supersedes.
    const table = await runCli(['prices', 'quote', '--tenant', slug, '--line', 'HAMMER:10', '--line', 'HAMMER:9', '--date', '2026-12-31'])
    expect(table.code, table.stderr).to.equal(0)
    expect(table.stdout).to.match(/^\s*1\s+HAMMER\s+10\s+RETAIL\s+≥10\s+10\.5000\s+105\.00\s+10\.50\s+TOOLS10\s+20\s+78\.75\s+15\.75\s+94\.50$/m)
    expect(table.stdout).to.match(/^\s*2\s+HAMMER\s+9\s+RETAIL\s+≥0\s+9\.0000\s+81\.00\s+8\.10\s+TOOLS10\s+20\s+60\.75\s+12\.15\s+72\.90$/m)
    expect(table.stdout).to.contain('Total: before discounts 186.00  discount 18.60  net 139.50  tax 27.90  gross 167.40 EUR')
    expect(table.stdout).to.contain('not used: ≥0 at 9.0000 (2026-12-01..2026-12-31): the higher break ≥10 applies')
    expect(table.stdout).to.contain('not used: ≥0 at 12.0000 (always): superseded by the price valid 2026-12-01..2026-12-31')
  })

  it('refuses a quote with unknown SKUs or customer (exit 65) and a malformed --line (exit 2)', async () => {
    const [unknownRun, specRun, negativeRun] = await Promise.all([
      erp('prices', 'quote', '--customer', 'WHO', '--line', 'GHOST:1', '--line', 'HAMMER:1'),
      erp('prices', 'quote', '--line', 'HAMMER', '--line', 'DRILL:'),
      erp('prices', 'quote', '--line', 'HAMMER:-1'),
    ])
    const unknown = failed(unknownRun, 65, 'INVALID_DATA')
    expect(unknown.data.problems).to.deep.equal([
      { field: 'customer', message: 'no customer "WHO"' },
      { field: 'lines[1].sku', message: 'no product "GHOST"' },
    ])
    const spec = failed(specRun, 2, 'USAGE')
    expect(spec.message).to.contain('"HAMMER", "DRILL:"')
    failed(negativeRun, 65, 'INVALID_DATA')
  })

  it('gets and sets the rounding mode, refusing unknown keys and values', async () => {
    expect(ok(await erp('settings', 'get', 'rounding.mode'))).to.include({ value: 'half_up', isSet: false })
    expect(ok(await erp('settings', 'set', 'rounding.mode', 'half_even'))).to.include({ value: 'half_even', isSet: true })
    failed(await erp('settings', 'set', 'rounding.mode', 'up'), 65, 'INVALID_DATA')
    failed(await erp('settings', 'set', 'rounding.moed', 'half_up'), 2, 'USAGE')
    expect(ok(await erp('settings', 'list')).items.find((s: { key: string }) => s.key === 'rounding.mode').value).to.equal('half_even')
    const quote = ok(await erp('prices', 'quote', '--line', 'DRILL:1'))
    expect(quote.rounding.mode).to.equal('half_even')
    ok(await erp('settings', 'set', 'rounding.mode', 'half_up'))
  })

  it('shows a tenant profile its own prices only', async () => {
    const other = await pricingTenant(db, 'cli_other')
    await inTenant(db, other, (trx) => trx.raw("insert into price_lists (code, name, currency, is_default) values ('OTHER', 'Other', 'USD', true)"))
    ok(await runCli(['prices', 'set', '--tenant', other, '--list', 'OTHER', '--sku', 'HAMMER', '--price', '99', '--json']))
    const profile = `p_${slug}`
    ok(await runCli(['tenants', 'credentials', slug, '--save-profile', profile, '--json']))

    const own = ok(await runCli(['prices', 'list', '--profile', profile, '--json'])).items
    expect(own.map((i: { priceList: string }) => i.priceList)).to.include('RETAIL').and.not.to.include('OTHER')
    const lists = ok(await runCli(['price-lists', 'list', '--profile', profile, '--json'])).items
    expect(lists.map((l: { code: string }) => l.code)).to.deep.equal(['RETAIL', 'TRADE'])
    failed(await runCli(['prices', 'list', '--profile', profile, '--tenant', other, '--json']), 77, 'NOT_ALLOWED')
    failed(await runCli(['prices', 'quote', '--profile', profile, '--tenant', other, '--line', 'HAMMER:1', '--json']), 77, 'NOT_ALLOWED')
  })
})
