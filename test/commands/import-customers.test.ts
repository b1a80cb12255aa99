import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import path from 'node:path'

import { runCli, cliTenant } from '../helpers/cli.js'
import { scratchFiles } from '../helpers/scratch-files.js'
import { adminQuery as query } from '../helpers/database.js'

const { dir, file } = scratchFiles('erp-import-customers-')


async function tenant(): Promise<string> {
  const slug = await cliTenant('impc')
  expect((await runCli(['customer-groups', 'create', 'WHOLESALE', '--name', 'Wholesale', '--tenant', slug])).code).to.equal(0)
  return slug
}

const customers = (slug: string) =>
  query(`select c.code, c.name, c.email, c.phone, c.credit_limit::text, c.payment_terms_days, g.code as group,
           (select json_agg(json_build_object('kind', a.kind, 'line1', a.line1, 'city', a.city, 'country', a.country, 'default', a.is_default) order by a.kind)
              from tenant_${slug}.customer_addresses a where a.customer_id = c.id) as addresses
         from tenant_${slug}.customers c left join tenant_${slug}.customer_groups g on g.id = c.group_id order by c.code`).then((r) => r.rows)

const imp = (slug: string, ...args: string[]) => runCli(['import', 'customers', ...args, '--tenant', slug, '--json'])

const CSV = 'code,name,email,phone,group,credit_limit,payment_terms_days,billing_line1,billing_city,billing_country,shipping_line1,shipping_city,shipping_country\n' +
  'C-1,"Acme, Ltd",ap@acme.example,+44 20 7946 0000,WHOLESALE,5000,45,1 High St,London,gb,,,\n' +
  'C-2,Beta,,,,,,,,,"Dock 4\nGate B",Rotterdam,NL\n'

describe('erp import customers / erp export customers', () => {
  it('imports customers with group and default addresses, upserts idempotently, round-trips through export', async () => {
    const slug = await tenant()
    const r = await imp(slug, file(CSV))
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result).to.include({ inserted: 2, rejected: 0 })
    expect(r.json.result.extra).to.include({ addressesSet: 2 })
    const rows = await customers(slug)
    expect(rows[0]).to.include({ code: 'C-1', name: 'Acme, Ltd', group: 'WHOLESALE', credit_limit: '5000.00', payment_terms_days: 45 })
    expect(rows[0].addresses).to.deep.equal([{ kind: 'billing', line1: '1 High St', city: 'London', country: 'GB', default: true }])
    expect(rows[1]).to.include({ payment_terms_days: 30, group: null })
    expect(rows[1].addresses[0]).to.include({ kind: 'shipping', line1: 'Dock 4\nGate B' })

    const again = await imp(slug, file(CSV), '--mode', 'upsert')
    expect(again.json.result).to.include({ inserted: 0, updated: 0, unchanged: 2 })
    expect(again.json.result.extra).to.include({ addressesSet: 0 })

    const out = path.join(dir, 'customers.csv')
    const exported = await runCli(['export', 'customers', '--tenant', slug, '--output', out, '--json'])
    expect(exported.code, exported.stdout).to.equal(0)
    expect(readFileSync(out, 'utf8')).to.contain(",'+44 20 7946 0000,")
    const back = await imp(slug, out, '--mode', 'upsert')
    expect(back.code, back.stdout).to.equal(0)
    expect(back.json.result).to.include({ inserted: 0, updated: 0, unchanged: 2 })
    expect(back.json.result.extra).to.include({ addressesSet: 0 })
    expect(await customers(slug)).to.deep.equal(rows)

    const moved = await imp(slug, file('code,billing_line1,billing_city,billing_country\nC-1,2 Low St,Leeds,GB\n'), '--mode', 'update')
    expect(moved.json.result.extra).to.include({ addressesSet: 1 })
    expect((await customers(slug))[0].addresses).to.deep.equal([{ kind: 'billing', line1: '2 Low St', city: 'Leeds', country: 'GB', default: true }])
  })

  it('rejects unknown groups, bad emails, incomplete addresses and duplicate codes; writes nothing', async () => {
    const slug = await tenant()
    const r = await imp(slug, file('code,name,email,group,billing_line1,billing_city,billing_country\n' +
      'OK,Fine,,,,,\nX-1,Bad mail,not-an-email,,,,\nX-2,No group,,NOPE,,,\nX-3,Half address,,,1 Road,,FR\nOK,Again,,,,,\n'))
    expect(r.code).to.equal(65)
    const byLine = Object.fromEntries(r.json.error.data.errors.map((e: { line: number; column: string }) => [e.line, e.column]))
    expect(byLine).to.deep.equal({ 3: 'email', 4: 'group', 5: 'billing_city', 6: 'code' })
    expect(await customers(slug)).to.deep.equal([])
  })
})
