import { expect } from 'chai'

import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb, tenantTraces, uniqueSlug } from '../helpers/database.js'

/**
 * A new tenant can sell: tenants create leaves a default price list in its currency, a rate for
 * tax class standard (what products get by default) beside zero, and a warehouse, all in the
 * transaction that creates it; then the whole sale runs with nothing else set up.
 */
describe('erp tenants create: a tenant ready to sell (through bin/run.js)', function () {
  this.timeout(300_000)

  it('sets up currency, country and standard tax rate as asked, and says so', async () => {
    const slug = uniqueSlug('trade')
    const tenant = okResult(await runCli(['tenants', 'create', slug, '--currency', 'chf', '--country', 'ch', '--standard-tax-rate', '8.1', '--json']))
    expect(tenant.trade).to.deep.equal({
      currency: 'CHF', country: 'CH', countryName: 'Switzerland', standardTaxRate: '8.1',
      priceList: { code: 'DEFAULT', name: 'Default (CHF, net)', currency: 'CHF', taxInclusive: false, isDefault: true },
      taxRates: [{ taxClass: 'standard', rate: '8.1' }, { taxClass: 'zero', rate: '0' }],
      warehouse: { code: 'MAIN', name: 'Main warehouse', defaultLocation: 'MAIN/STOCK' },
    })
    const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
    expect(okResult(await erp('settings', 'get', 'company.country')).value).to.equal('CH')
    expect(okResult(await erp('price-lists', 'list')).items.map((l: { code: string }) => l.code)).to.deep.equal(['DEFAULT'])
  })

  it('uses the documented defaults, and prints what it set up', async () => {
    const slug = uniqueSlug('tradedef')
    const r = await runCli(['tenants', 'create', slug])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('Ready to sell: default price list DEFAULT (EUR, net); tax rates standard 20 %, zero 0 %; warehouse MAIN (stock into MAIN/STOCK)')
    expect(r.stdout).not.to.contain('country')
    const help = (await runCli(['tenants', 'create', '--help'])).stdout.replace(/\s+/g, ' ')
    for (const flag of ['--currency', '--country', '--standard-tax-rate']) expect(help).to.contain(flag)
    expect(help).to.contain('(EUR by default)').and.contain('(20 by default; 0 for none)')
  })

  it('refuses bad codes and rates, every one at once, and leaves nothing behind', async () => {
    const slug = uniqueSlug('tradebad')
    const r = await runCli(['tenants', 'create', slug, '--currency', 'EURO', '--country', 'UK', '--standard-tax-rate', '100.5', '--json'])
    const err = failedWith(r, 65, 'INVALID_DATA')
    expect(err.message).to.match(/currency: "EURO" is not a current ISO 4217/)
      .and.match(/country: "UK" is not an ISO 3166-1 alpha-2/)
      .and.match(/standard tax rate: .*100/)
    for (const [flag, value] of [['--currency', 'XXX'], ['--country', 'ZZ'], ['--country', 'FRA'], ['--standard-tax-rate', '-1'], ['--currency', "EUR'; drop table x; --"]]) {
      failedWith(await runCli(['tenants', 'create', slug, flag, value, '--json']), 65, 'INVALID_DATA')
    }
    failedWith(await runCli(['tenants', 'create', slug, '--seed', 'demo', '--currency', 'USD', '--json']), 2, 'USAGE')
    const db = await openTestDb()
    try {
      expect(await tenantTraces(db, slug)).to.deep.equal({ registry: false, schema: false, role: false })
    } finally {
      await db.close()
    }
  })

  it('runs products → order → confirm → fulfil → invoice → issue → pay with no other setup', async () => {
    const slug = uniqueSlug('tradeflow')
    okResult(await runCli(['tenants', 'create', slug, '--currency', 'GBP', '--country', 'GB', '--json']))
    const erp = (...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
    // The first import with prices: they go to the default list.
    expect(okResult(await runCli(['import', 'products', '-', '--tenant', slug, '--json'], { input: 'sku,name,price\nTEA,Tea 250g,4.50\n' })))
      .to.include({ inserted: 1 })
    okResult(await erp('products', 'create', 'MUG', '--name', 'Mug'))
    okResult(await erp('prices', 'set', '--list', 'DEFAULT', '--sku', 'MUG', '--price', '6'))
    okResult(await erp('customers', 'create', 'C1', '--name', 'First customer'))
    okResult(await erp('stock', 'receive', '--sku', 'TEA', '--qty', '10', '--location', 'MAIN'))
    okResult(await erp('stock', 'receive', '--sku', 'MUG', '--qty', '10', '--location', 'MAIN'))
    const order = okResult(await erp('orders', 'create', '--customer', 'C1', '--line', 'TEA:2', '--line', 'MUG:1'))
    // 2 × 4.50 + 6 = 15.00 net, standard 20 %: 18.00.
    expect(order).to.include({ currency: 'GBP', net: '15.00', tax: '3.00', gross: '18.00' })
    okResult(await erp('orders', 'confirm', order.id))
    okResult(await erp('orders', 'fulfil', order.id))
    const draft = okResult(await erp('invoices', 'create', '--order', order.id))
    const issued = okResult(await erp('invoices', 'issue', draft.id))
    const paid = okResult(await erp('invoices', 'pay', issued.number, '--amount', '18.00', '--method', 'bank'))
    expect([paid.invoice.state, paid.invoice.due, paid.invoice.currency]).to.deep.equal(['paid', '0.00', 'GBP'])
  })
})
