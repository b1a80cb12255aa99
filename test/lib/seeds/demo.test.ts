import { expect } from 'chai'
import type { Knex } from 'knex'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { quote } from '../../../src/lib/pricing/resolve.js'
import { DEMO_CUSTOMERS, DEMO_PRODUCTS } from '../../../src/lib/seeds/demo.js'
import { createSeededTenant, runSeed } from '../../../src/lib/seeds/seeds.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { runCli } from '../../helpers/cli.js'
import { openTestDb, uniqueSlug } from '../../helpers/database.js'

const TABLES = ['tax_rates', 'attributes', 'categories', 'products', 'price_lists', 'price_list_items', 'customer_groups', 'customers', 'customer_addresses', 'users', 'discounts']

/** A tenant's seeded data without generated ids or timestamps, resolved to natural keys, for comparison. */
async function snapshot(trx: Knex.Transaction): Promise<Record<string, unknown[]>> {
  const queries: Record<string, string> = {
    tax_rates: 'select tax_class, rate::text from tax_rates order by 1',
    attributes: 'select code, name, type, enum_values from attributes order by 1',
    categories: 'select c.path, p.path as parent from categories c left join categories p on p.id = c.parent_id order by 1',
    products: `select p.sku, p.name, p.description, c.path, p.uom, p.barcode, p.weight::text, p.tax_class, p.tracking, p.cost::text,
                      p.attributes::text, p.active from products p left join categories c on c.id = p.category_id order by 1`,
    price_lists: 'select code, name, currency, tax_inclusive, is_default from price_lists order by 1',
    price_list_items: `select l.code, p.sku, i.min_qty::text, i.valid_from::text, i.valid_to::text, i.price::text from price_list_items i
                       join price_lists l on l.id = i.price_list_id join products p on p.id = i.product_id order by 1, 2, 3, 4`,
    customer_groups: 'select g.code, g.name, l.code as list, g.discount_percent::text from customer_groups g left join price_lists l on l.id = g.price_list_id order by 1',
    customers: `select c.code, c.name, c.email, c.phone, c.tax_id, g.code as grp, c.credit_limit::text, c.payment_terms_days, a.line1, a.city, a.country
                from customers c join customer_groups g on g.id = c.group_id join customer_addresses a on a.customer_id = c.id order by 1`,
    users: 'select email, name, role, password_hash is null as no_password from users order by 1',
    discounts: 'select code, name, kind, value::text, scope, valid_from::text, valid_to::text, stacking, priority from discounts order by 1',
  }
  const out: Record<string, unknown[]> = {}
  for (const [table, sql] of Object.entries(queries)) out[table] = (await trx.raw(sql)).rows
  return out
}

/** Row versions: an UPDATE, even to the same values, changes xmin. */
async function rowVersions(trx: Knex.Transaction): Promise<string[]> {
  const parts = TABLES.map((t) => `select '${t}' as t, id::text, xmin::text from ${t}`.replace('id::text', t === 'tax_rates' ? 'tax_class' : 'id::text'))
  const { rows } = await trx.raw(`${parts.join(' union all ')} order by 1, 2`)
  return rows.map((r: { t: string; id: string; xmin: string }) => `${r.t}:${r.id}:${r.xmin}`)
}

describe('seeds/demo', function () {
  let db: Db
  before(async () => {
    db = await openTestDb()
  })
  after(async () => db.close())

  it('fills a tenant with a small business: products, lists, customers, users of every role', async () => {
    const { slug, seed } = await createSeededTenant(db, { slug: uniqueSlug('demo') }, { name: 'demo' })
    expect(seed!.inserted).to.be.greaterThan(DEMO_PRODUCTS + DEMO_CUSTOMERS)
    await withTenant(db, slug, async (trx) => {
      const count = async (table: string) => (await trx.raw(`select count(*)::int as n from ${table}`)).rows[0].n
      expect(await count('products')).to.equal(DEMO_PRODUCTS)
      expect(await count('customers')).to.equal(DEMO_CUSTOMERS)
      expect(await count('price_lists')).to.equal(3)
      const { rows: roles } = await trx.raw('select distinct role from users order by 1')
      expect(roles.map((r: { role: string }) => r.role)).to.deep.equal(['admin', 'clerk', 'manager', 'viewer'])
      const { rows: groups } = await trx.raw('select count(distinct group_id)::int as n from customers')
      expect(groups[0].n).to.be.at.least(3)
      // The seeded data prices: a quote for a customer of each group resolves.
      const { rows: samples } = await trx.raw(`select distinct on (group_id) code from customers order by group_id, code`)
      const { rows: skus } = await trx.raw(`select sku from products order by sku limit 5`)
      for (const { code } of samples) {
        const result = await quote(trx, { customer: code, lines: skus.map((s: { sku: string }) => ({ sku: s.sku, qty: '12' })), date: '2026-12-15' })
        expect(result.lines).to.have.length(5)
      }
    })
  })

  it('is deterministic: the same random seed gives the same data, another seed other data', async () => {
    const a = (await createSeededTenant(db, { slug: uniqueSlug('demo_a') }, { name: 'demo', randomSeed: 7 })).slug
    const b = (await createSeededTenant(db, { slug: uniqueSlug('demo_b') }, { name: 'demo', randomSeed: 7 })).slug
    const c = (await createSeededTenant(db, { slug: uniqueSlug('demo_c') }, { name: 'demo', randomSeed: 8 })).slug
    const [sa, sb, sc] = await Promise.all([a, b, c].map((s) => withTenant(db, s, snapshot, { access: 'read' })))
    expect(sb).to.deep.equal(sa)
    expect(sc.products).to.not.deep.equal(sa.products)
    expect(sc.categories).to.deep.equal(sa.categories) // the tree is fixed; names and prices are drawn
  })

  it('is idempotent: a second run inserts and updates nothing, not even rewriting a row', async () => {
    const slug = uniqueSlug('demo_idem')
    await createTenant(db, { slug })
    const first = await withTenant(db, slug, (trx) => runSeed(trx, 'demo'))
    expect(first.updated).to.equal(0)
    const before = await withTenant(db, slug, async (trx) => ({ data: await snapshot(trx), versions: await rowVersions(trx) }))
    const second = await withTenant(db, slug, (trx) => runSeed(trx, 'demo'))
    expect(second.inserted).to.equal(0)
    expect(second.updated).to.equal(0)
    const after = await withTenant(db, slug, async (trx) => ({ data: await snapshot(trx), versions: await rowVersions(trx) }))
    expect(after.versions).to.deep.equal(before.versions)
    expect(after.data).to.deep.equal(before.data)

    // An edited seeded row is put back; the rest is left alone.
    await withTenant(db, slug, (trx) => trx.raw("update products set name = 'Renamed' where sku = (select min(sku) from products)"))
    const third = await withTenant(db, slug, (trx) => runSeed(trx, 'demo'))
    expect(third.tables.filter((t) => t.inserted + t.updated > 0)).to.deep.equal([{ table: 'products', inserted: 0, updated: 1 }])
  })

  it('runs through the CLI: tenants create --seed, seed run (a no-op then), --dry-run writes nothing', async () => {
    const slug = uniqueSlug('demo_cli')
    const created = await runCli(['tenants', 'create', slug, '--seed', 'demo', '--json'])
    expect(created.code, created.stderr).to.equal(0)
    expect(created.json.result.seed).to.include({ seed: 'demo', randomSeed: 1, dryRun: false })
    const again = await runCli(['seed', 'run', 'demo', '--tenant', slug, '--json'])
    expect(again.json.result).to.include({ inserted: 0, updated: 0 })

    const empty = uniqueSlug('demo_dry')
    expect((await runCli(['tenants', 'create', empty, '--json'])).code).to.equal(0)
    const dry = await runCli(['seed', 'run', 'demo', '--tenant', empty, '--dry-run', '--json'])
    expect(dry.json.result).to.include({ dryRun: true })
    expect(dry.json.result.inserted).to.be.greaterThan(DEMO_PRODUCTS)
    const products = await withTenant(db, empty, (trx) => trx.raw('select count(*)::int as n from products'), { access: 'read' })
    expect(products.rows[0].n).to.equal(0)

    const unknown = await runCli(['seed', 'run', 'nope', '--tenant', empty, '--json'])
    expect(unknown.code).to.equal(2)
    const failing = await runCli(['tenants', 'create', uniqueSlug('demo_bad'), '--seed', 'nope', '--json'])
    expect(failing.code).to.equal(2)
  })
})
