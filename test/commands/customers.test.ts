import { expect } from 'chai'

import { runCli, type CliResult } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

async function erp(tenant: string, args: string[]): Promise<CliResult> {
  return runCli([...args, '--tenant', tenant, '--json'])
}

function ok(run: CliResult): any {
  expect(run.code, run.stdout + run.stderr).to.equal(0)
  return run.json.result
}

function failed(run: CliResult, code: number, message: RegExp): any {
  expect(run.code, run.stdout + run.stderr).to.equal(code)
  expect(run.json.error.message).to.match(message)
  return run.json.error
}

describe('erp customers and customer-groups (through bin/run.js)', () => {
  let tenant: string

  before(async () => {
    tenant = uniqueSlug('cus')
    ok(await runCli(['tenants', 'create', tenant, '--json']))
  })

  it('creates, updates and lists customer groups; refuses bad discounts and duplicates', async () => {
    expect(ok(await erp(tenant, ['customer-groups', 'create', 'retail', '--name', 'Retail'])))
      .to.include({ code: 'retail', discountPercent: '0.00', priceListId: null })
    ok(await erp(tenant, ['customer-groups', 'create', 'wholesale', '--name', 'Wholesale', '--discount', '12.5']))
    expect(ok(await erp(tenant, ['customer-groups', 'update', 'wholesale', '--discount', '15'])).discountPercent).to.equal('15.00')

    failed(await erp(tenant, ['customer-groups', 'create', 'retail', '--name', 'Again']), 1, /already exists/)
    failed(await erp(tenant, ['customer-groups', 'create', 'vip', '--name', 'VIP', '--discount', '100.01']), 65, /discount percent: must be at most 100/)
    failed(await erp(tenant, ['customer-groups', 'create', 'vip', '--name', 'VIP', '--discount', '-1']), 65, /must be zero or more/)
    failed(await erp(tenant, ['customer-groups', 'update', 'nope', '--name', 'x']), 1, /No customer group "nope"/)
    failed(await erp(tenant, ['customer-groups', 'update', 'retail']), 2, /Nothing to change/)

    const groups = ok(await erp(tenant, ['customer-groups', 'list'])).items
    expect(groups.map((g: any) => [g.code, g.discountPercent, g.customers])).to.deep.equal([['retail', '0.00', 0], ['wholesale', '15.00', 0]])
  })

  it('lists each group\'s price list by its code, not its id', async () => {
    const list = ok(await erp(tenant, ['price-lists', 'create', '--code', 'TRADE-7', '--currency', 'EUR']))
    ok(await erp(tenant, ['price-lists', 'assign', 'TRADE-7', '--group', 'wholesale']))
    const groups = ok(await erp(tenant, ['customer-groups', 'list'])).items
    expect(groups.map((g: any) => [g.code, g.priceList, g.priceListId])).to.deep.equal([['retail', null, null], ['wholesale', 'TRADE-7', list.id]])
    const csv = await runCli(['customer-groups', 'list', '--tenant', tenant, '--output', 'csv', '--columns', 'code,priceList'])
    expect(csv.stdout.trim().split('\n')).to.deep.equal(['code,priceList', 'retail,', 'wholesale,TRADE-7'])
    expect((await runCli(['customer-groups', 'list', '--tenant', tenant])).stdout).to.match(/wholesale .*TRADE-7/)
  })

  it('creates a customer with group, terms and addresses, and shows it', async () => {
    const customer = ok(await erp(tenant, [
      'customers', 'create', 'C-1001', '--name', 'Bistro Lune', '--email', 'orders@lune.example', '--phone', '+33 3 20 00 00 00',
      '--tax-id', 'FR12345678901', '--group', 'retail', '--credit-limit', '5000', '--payment-terms', '45',
      '--billing-address', 'line1=3 Rue Haute;city=Lille;postal=59000;country=fr',
      '--shipping-address', 'line1=Dock 4;city=Lille;country=FR', '--shipping-address', 'line1=Quai 2;line2=Porte B;city=Roubaix;country=FR',
    ]))
    expect(customer).to.include({
      code: 'C-1001', name: 'Bistro Lune', email: 'orders@lune.example', group: 'retail', creditLimit: '5000.00',
      paymentTermsDays: 45, taxId: 'FR12345678901',
    })
    expect(customer.addresses.map((a: any) => [a.kind, a.isDefault, a.city, a.country])).to.deep.equal([
      ['billing', true, 'Lille', 'FR'], ['shipping', true, 'Lille', 'FR'], ['shipping', false, 'Roubaix', 'FR'],
    ])
    const human = await runCli(['customers', 'show', 'C-1001', '--tenant', tenant])
    expect(human.stdout).to.match(/shipping \(default\): Dock 4, Lille, FR/)
    expect(ok(await erp(tenant, ['customer-groups', 'list'])).items.find((g: any) => g.code === 'retail').customers).to.equal(1)
  })

  it('refuses invalid customers with every problem listed, and writes nothing', async () => {
    const error = failed(await erp(tenant, [
      'customers', 'create', 'C-2', '--name', 'Bad', '--email', 'not-an-email', '--group', 'nope', '--credit-limit', '-10',
      '--payment-terms', '400', '--phone', 'call me',
    ]), 65, /Customer "C-2" was not created/)
    expect(error.data.problems.map((p: any) => p.field)).to.have.members(['email', 'group', 'creditLimit', 'paymentTermsDays', 'phone'])
    failed(await erp(tenant, ['customers', 'show', 'C-2']), 1, /No customer "C-2"/)

    const emails = ['a@b', 'a b@c.example', '@c.example', 'a..b@c.example', 'a@-c.example']
    const runs = await Promise.all([
      ...emails.map((email) => erp(tenant, ['customers', 'create', 'C-3', '--name', 'X', '--email', email])),
      erp(tenant, ['customers', 'create', 'C-1001', '--name', 'Dup']),
      erp(tenant, ['customers', 'create', 'C-3', '--name', 'X', '--billing-address', 'street=1;city=Lille']),
      erp(tenant, ['customers', 'create', 'C-3', '--name', 'X', '--billing-address', 'line1=1;city=Lille;country=Atlantis']),
    ])
    emails.forEach((_, i) => failed(runs[i], 65, /not a valid email address/))
    failed(runs[5], 1, /already exists/)
    failed(runs[6], 2, /the keys are line1.*line1= is required.*country= is required/)
    failed(runs[7], 65, /"Atlantis" is not a country/)
    expect(ok(await erp(tenant, ['customers', 'list', '--search', 'c-3'])).items).to.deep.equal([])
  })

  it('updates a customer, clears fields and changes its group', async () => {
    const updated = ok(await erp(tenant, [
      'customers', 'update', 'C-1001', '--credit-limit', '7500.50', '--group', 'wholesale', '--unset', 'phone,tax-id',
    ]))
    expect(updated).to.include({ creditLimit: '7500.50', group: 'wholesale', phone: null, taxId: null, paymentTermsDays: 45 })
    ok(await erp(tenant, ['customers', 'update', 'C-1001', '--unset', 'credit-limit']))
    expect(ok(await erp(tenant, ['customers', 'show', 'C-1001'])).creditLimit).to.equal(null)
    failed(await erp(tenant, ['customers', 'update', 'C-1001', '--email', 'x@']), 65, /not a valid email/)
    failed(await erp(tenant, ['customers', 'update', 'NOPE', '--name', 'x']), 1, /No customer "NOPE"/)
  })

  it('adds, re-defaults and removes addresses', async () => {
    const added = ok(await erp(tenant, [
      'customers', 'address', 'add', 'C-1001', '--kind', 'billing', '--line1', '1 Main St', '--city', 'Boston',
      '--region', 'MA', '--postal-code', '02110', '--country', 'us', '--default',
    ]))
    expect(added).to.include({ kind: 'billing', isDefault: true, country: 'US', region: 'MA' })
    let addresses = ok(await erp(tenant, ['customers', 'show', 'C-1001'])).addresses
    expect(addresses.filter((a: any) => a.kind === 'billing' && a.isDefault).map((a: any) => a.id)).to.deep.equal([added.id])

    const oldBilling = addresses.find((a: any) => a.kind === 'billing' && !a.isDefault)
    ok(await erp(tenant, ['customers', 'address', 'default', 'C-1001', oldBilling.id]))
    failed(await erp(tenant, ['customers', 'address', 'remove', 'C-1001', oldBilling.id]), 2, /pass --yes/)
    ok(await erp(tenant, ['customers', 'address', 'remove', 'C-1001', oldBilling.id, '--yes']))
    addresses = ok(await erp(tenant, ['customers', 'show', 'C-1001'])).addresses
    // The removed default's place goes to the remaining billing address.
    expect(addresses.filter((a: any) => a.kind === 'billing')).to.have.length(1)
    expect(addresses.find((a: any) => a.kind === 'billing')).to.include({ id: added.id, isDefault: true })

    failed(await erp(tenant, ['customers', 'address', 'remove', 'C-1001', '999999', '--yes']), 1, /no address with id "999999"/)
    failed(await erp(tenant, ['customers', 'address', 'add', 'C-1001', '--kind', 'billing', '--line1', 'x', '--city', 'y', '--country', 'Atlantis']),
      65, /"Atlantis" is not a country/)
  })

  it('lists customers by group and search, page by page, and archives/restores', async () => {
    for (const code of ['C-2001', 'C-2002', 'C-2003']) {
      ok(await erp(tenant, ['customers', 'create', code, '--name', `Atelier ${code}`, '--group', 'retail']))
    }
    const first = ok(await erp(tenant, ['customers', 'list', '--limit', '2']))
    expect(first.items.map((c: any) => c.code)).to.deep.equal(['C-1001', 'C-2001'])
    expect(first.nextCursor).to.equal('C-2001')
    const rest = ok(await erp(tenant, ['customers', 'list', '--limit', '2', '--after', 'C-2001']))
    expect(rest.items.map((c: any) => c.code)).to.deep.equal(['C-2002', 'C-2003'])
    expect(rest.nextCursor).to.equal(null)
    expect(ok(await erp(tenant, ['customers', 'list', '--group', 'wholesale'])).items.map((c: any) => c.code)).to.deep.equal(['C-1001'])
    expect(ok(await erp(tenant, ['customers', 'list', '--search', 'atelier'])).items).to.have.length(3)
    failed(await erp(tenant, ['customers', 'list', '--group', 'nope']), 1, /No customer group "nope"/)

    expect(ok(await erp(tenant, ['customers', 'archive', 'C-2002'])).changed).to.equal(true)
    expect(ok(await erp(tenant, ['customers', 'list', '--search', 'atelier'])).items).to.have.length(2)
    failed(await erp(tenant, ['customers', 'update', 'C-2002', '--name', 'x']), 1, /is archived/)
    expect(ok(await erp(tenant, ['customers', 'restore', 'C-2002'])).customer.archivedAt).to.equal(null)

    const csv = await runCli(['customers', 'list', '--tenant', tenant, '--output', 'csv', '--columns', 'code,group'])
    expect(csv.stdout.trim().split('\n')).to.deep.equal(['code,group', 'C-1001,wholesale', 'C-2001,retail', 'C-2002,retail', 'C-2003,retail'])
  })
})
