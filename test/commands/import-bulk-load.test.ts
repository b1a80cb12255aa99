import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { runCli, spawnCli, cliTenant } from '../helpers/cli.js'
import { adminQuery as query, namesFor, openTestDb } from '../helpers/database.js'
import { rowChecksums, schemaFingerprint } from '../helpers/schema-fingerprint.js'

/**
 * Large imports drop a table's secondary indexes and constraints and rebuild them (bulk-load.ts):
 * the outcome must not differ from the incremental path, small imports into big tables must not
 * take the table lock, and a killed import must leave the schema as it was.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'erp-bulk-'))
let n = 0
function file(lines: string[]): string {
  const p = path.join(dir, `f${n++}.csv`)
  writeFileSync(p, `${lines.join('\n')}\n`)
  return p
}

/** Enough rows for a bulk load (BULK_LOAD_MIN_ROWS is 20,000). */
const ROWS = 25_000

function productsFile(from: number, count: number): string {
  const lines = ['sku,name,description,category,price,barcode,weight']
  for (let i = from; i < from + count; i++) {
    lines.push(`P-${i},"Bolt ${i}, hex",Zinc plated ${i % 97},Hardware/Group ${i % 7},${(i % 1000) / 10},${7000000 + i},${(i % 50) / 10}`)
  }
  return file(lines)
}

async function tenant(): Promise<string> {
  const slug = await cliTenant('bulk')
  // A new tenant's default list is DEFAULT (tenants create): the file's prices go to this one.
  await query(`update tenant_${slug}.price_lists set is_default = false`)
  await query(`insert into tenant_${slug}.price_lists (code, name, currency, is_default) values ('RETAIL', 'Retail', 'EUR', true)`)
  return slug
}

async function imp(slug: string, what: string, csv: string, ...args: string[]) {
  const r = await runCli(['import', what, csv, '--tenant', slug, '--json', ...args], { env: { ERP_IMPORT_TRACE: '1' } })
  expect(r.code, r.stderr + r.stdout).to.equal(0)
  return { result: r.json.result, bulk: [...r.stderr.matchAll(/\[import\] (\w+): bulk load/g)].map((m) => m[1]) }
}

/** The oids of the table's indexes: a rebuilt index has a new one. */
async function indexOids(slug: string, table: string): Promise<Record<string, number>> {
  const { rows } = await query(`select c.relname as name, i.indexrelid::int as oid from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1::regclass`, [`tenant_${slug}.${table}`])
  return Object.fromEntries(rows.map((r) => [r.name, r.oid]))
}

async function fingerprint(slug: string): Promise<Record<string, unknown>> {
  const db = await openTestDb()
  try {
    return await schemaFingerprint(db.knex, `tenant_${slug}`, (await namesFor(slug)))
  } finally {
    await db.close()
  }
}

async function checksums(slug: string) {
  const db = await openTestDb()
  try {
    return await rowChecksums(db.knex, `tenant_${slug}`)
  } finally {
    await db.close()
  }
}

/** What the imports wrote, ids and timestamps aside (they differ between two tenants anyway). */
async function contents(slug: string) {
  const t = `tenant_${slug}`
  const digest = async (sql: string) => (await query(`select count(*)::int as n, md5(string_agg(r::text, ',' order by r::text)) as md5 from (${sql}) r`)).rows[0]
  return {
    products: await digest(`select p.sku, p.name, p.description, c.path, p.barcode, p.weight, p.uom, p.active, p.attributes from ${t}.products p left join ${t}.categories c on c.id = p.category_id`),
    prices: await digest(`select l.code, p.sku, i.min_qty, i.valid_from, i.price from ${t}.price_list_items i join ${t}.price_lists l on l.id = i.price_list_id join ${t}.products p on p.id = i.product_id`),
    customers: await digest(`select c.code, c.name, c.email, a.kind, a.line1, a.city, a.country, a.is_default from ${t}.customers c left join ${t}.customer_addresses a on a.customer_id = c.id`),
  }
}

describe('bulk load of large imports', function () {
  this.timeout(300_000)

  it('gives the same rows, indexes and constraints as the incremental path', async () => {
    const [bulk, online] = [await tenant(), await tenant()]
    const products = productsFile(0, ROWS)
    const customers = file(['code,name,email,billing_line1,billing_city,billing_country',
      ...Array.from({ length: ROWS }, (_, i) => `C-${i},Customer ${i},c${i}@example.com,${i} High St,Town ${i % 13},GB`)])
    const prices = file(['price_list,sku,min_qty,price', ...Array.from({ length: ROWS }, (_, i) => `WHOLESALE,P-${i},10,${(i % 500) / 10}`)])
    const ownOids: Record<string, number>[] = []
    for (const slug of [bulk, online]) {
      // A comment on an index (and the catalog's whole definition of everything) must survive the rebuild.
      await query(`comment on index tenant_${slug}.products_name_prefix_idx is 'for erp products list --search?'`)
      // '?' is also knex's placeholder: definitions must reach the server untouched.
      await query(`create index products_coloured_idx on tenant_${slug}.products (id) where attributes ? 'colour'`)
      await query(`insert into tenant_${slug}.price_lists (code, name, currency) values ('WHOLESALE', 'Wholesale', 'EUR')`)
      ownOids.push(await indexOids(slug, 'products'))
    }
    const flags = (slug: string) => (slug === online ? ['--no-bulk-load'] : [])
    for (const slug of [bulk, online]) {
      const p = await imp(slug, 'products', products, ...flags(slug))
      expect(p.result).to.include({ inserted: ROWS })
      expect(p.result.extra).to.include({ pricesSet: ROWS })
      const c = await imp(slug, 'customers', customers, ...flags(slug))
      expect(c.result).to.include({ inserted: ROWS })
      const i = await imp(slug, 'price-list-items', prices, ...flags(slug))
      expect(i.result).to.include({ inserted: ROWS })
      expect([...p.bulk, ...c.bulk, ...i.bulk]).to.deep.equal(slug === bulk
        ? ['products', 'price_list_items', 'customers', 'customer_addresses', 'price_list_items']
        : [])
    }
    const oids = [await indexOids(bulk, 'products'), await indexOids(online, 'products')]
    expect(oids[0]['products_sku_key'], 'rebuilt').to.not.equal(ownOids[0]['products_sku_key'])
    expect(oids[0]['products_pkey'], 'the primary key stays').to.equal(ownOids[0]['products_pkey'])
    expect(oids[1], 'untouched').to.deep.equal(ownOids[1])

    const [a, b] = [await fingerprint(bulk), await fingerprint(online)]
    expect(a).to.deep.equal(b)
    expect((a.constraints as { convalidated: boolean }[]).every((k) => k.convalidated)).to.equal(true)
    expect(await contents(bulk)).to.deep.equal(await contents(online))
  })

  it('keeps the incremental path for imports small next to the table, and when nothing new is inserted', async () => {
    const slug = await tenant()
    expect((await imp(slug, 'products', productsFile(0, ROWS))).bulk).to.deep.equal(['products', 'price_list_items'])
    const before = await indexOids(slug, 'products')
    const small = await imp(slug, 'products', productsFile(ROWS, 1000))
    // Above the minimum, but fewer new rows than the table holds.
    const medium = await imp(slug, 'products', productsFile(ROWS + 1000, 21_000))
    // As many rows as the table holds, every one already there.
    const again = await imp(slug, 'products', productsFile(0, 47_000), '--mode', 'upsert')
    expect(again.result).to.include({ inserted: 0 })
    expect([small.bulk, medium.bulk, again.bulk]).to.deep.equal([[], [], []])
    expect(await indexOids(slug, 'products')).to.deep.equal(before)
    // An upsert whose new rows outnumber the table's: bulk again.
    const grow = await imp(slug, 'products', productsFile(0, 100_000), '--mode', 'upsert')
    expect(grow.result).to.include({ inserted: 100_000 - 47_000 })
    expect(grow.bulk).to.deep.equal(['products', 'price_list_items'])
  })

  it('a unique index the file breaks fails the rebuild with the constraint and the value, writing nothing', async () => {
    const slug = await tenant()
    // An index of the operator's own, unknown to the import's checks: taken from the catalog all the same.
    await query(`create unique index products_name_uq on tenant_${slug}.products (name)`)
    const lines = ['sku,name', ...Array.from({ length: ROWS }, (_, i) => `U-${i},Name ${i === 7 ? 3 : i}`)]
    const r = await runCli(['import', 'products', file(lines), '--tenant', slug, '--json'])
    expect(r.code, r.stdout).to.equal(1)
    expect(r.json.error.kind).to.equal('CONFLICT')
    expect(r.json.error.message).to.match(/the index products_name_uq on products: Key \(name\)=\(Name 3\) is duplicated/)
    expect(r.json.error.data).to.include({ table: 'products', constraint: 'products_name_uq' })
    expect((await query(`select count(*)::int as n from tenant_${slug}.products`)).rows[0].n).to.equal(0)
    expect(Object.keys(await indexOids(slug, 'products'))).to.include('products_name_uq')
  })

  it('a key twice in a bulk-sized file still names its rows (the rebuild refuses it, the key checks then run)', async () => {
    const slug = await tenant()
    const lines = ['sku,name', ...Array.from({ length: ROWS }, (_, i) => `D-${i === 9 ? 5 : i},Name ${i}`)]
    const r = await runCli(['import', 'products', file(lines), '--tenant', slug, '--json'], { env: { ERP_IMPORT_TRACE: '1' } })
    expect(r.code, r.stdout).to.equal(65)
    expect(r.stderr).to.match(/products: bulk load/)
    expect(r.json.error.data.errors).to.deep.equal([{ line: 11, column: 'sku', value: 'D-5', message: 'duplicate SKU in the file (first on line 7)' }])
    expect((await query(`select count(*)::int as n from tenant_${slug}.products`)).rows[0].n).to.equal(0)
  })

  it('kill -9 during a bulk load leaves the table, its indexes and constraints exactly as before', async () => {
    const slug = await tenant()
    await runCli(['import', 'products', file(['sku,name,price', 'KEEP-1,Kept,1.5']), '--tenant', slug])
    const before = { schema: await fingerprint(slug), rows: await checksums(slug), oids: await indexOids(slug, 'products') }
    const child = spawnCli(['import', 'products', productsFile(0, 60_000), '--tenant', slug], { ERP_IMPORT_TRACE: '1' })
    const exited = new Promise((resolve) => child.on('close', resolve))
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d
        if (/products: bulk load/.test(stderr)) resolve()
      })
      child.on('close', () => reject(new Error(`the import ended before its bulk load: ${stderr}`)))
    })
    child.kill('SIGKILL')
    await exited
    // The server rolls back once it notices the client is gone: wait for its locks to go.
    const products = `tenant_${slug}.products`
    for (let i = 0; i < 300; i++) {
      const { rows } = await query('select count(*)::int as n from pg_locks where relation = $1::regclass and pid <> pg_backend_pid()', [products])
      if (rows[0].n === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const after = { schema: await fingerprint(slug), rows: await checksums(slug), oids: await indexOids(slug, 'products') }
    // Identity sequences advance outside transactions: the rolled-back insert may have drawn numbers.
    delete before.schema.sequences
    delete after.schema.sequences
    expect(after).to.deep.equal(before)
  })
})
