import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { expect } from 'chai'
import pg from 'pg'

import { failedWith, okResult, runProcess } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

/**
 * The main paths of erp on a real Citus coordinator with schema-based sharding, through
 * bin/run.js. Run only when CITUS_TEST_URL names a database on a coordinator (citus created, at
 * least two workers, citus.enable_schema_based_sharding on; docs/citus.md says how to build one);
 * skipped, saying so, everywhere else. The tenants it makes are purged at the end. Its profiles and
 * the registry's backup signing key live in a config folder kept between runs
 * (CITUS_TEST_CONFIG_DIR), since the cluster's registry outlives one run.
 */
const CITUS_URL = process.env.CITUS_TEST_URL
const CONFIG_DIR = process.env.CITUS_TEST_CONFIG_DIR ?? path.join(tmpdir(), 'erp-citus-test-config')

describe('erp on a Citus coordinator (CITUS_TEST_URL)', function () {
  this.timeout(300_000)
  const slug = uniqueSlug('cz')
  const made: string[] = []
  let dir: string
  let workers: string[] = []
  const erp = (...args: string[]) => runProcess([...args, '--json'], { env: { DATABASE_URL: CITUS_URL, ERP_PROFILE: undefined, ERP_CONFIG_DIR: CONFIG_DIR }, timeoutMs: 240_000 })
  const inTenant = (...args: string[]) => erp(...args, '--tenant', slug)

  before(async function () {
    if (!CITUS_URL) {
      console.log('    (skipped: CITUS_TEST_URL does not point at a Citus coordinator; see docs/citus.md)')
      this.skip()
    }
    const client = new pg.Client({ connectionString: CITUS_URL })
    await client.connect()
    try {
      const { rows } = await client.query(
        `select nodename || ':' || nodeport as node from pg_dist_node
          where noderole = 'primary' and isactive and shouldhaveshards and groupid <> 0 order by nodeid`,
      )
      workers = rows.map((r) => r.node)
    } finally {
      await client.end()
    }
    expect(workers.length, 'the coordinator needs two workers for the move').to.be.at.least(2)
    mkdirSync(CONFIG_DIR, { recursive: true, mode: 0o700 })
    dir = mkdtempSync(path.join(tmpdir(), 'erp-citus-'))
  })

  after(async function () {
    if (!CITUS_URL) return
    for (const s of made) await erp('tenants', 'delete', s, '--purge', '--no-backup', '--yes')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('creates a tenant as a distributed schema on a worker, seeded', async () => {
    made.push(slug)
    okResult(await erp('tenants', 'create', slug, '--seed', 'demo'))
    const [placement] = okResult(await erp('tenants', 'placement', '--tenant', slug)).items
    expect(placement).to.include({ slug, distributed: true })
    expect(workers).to.include(placement.node)
    const products = okResult(await inTenant('products', 'list', '--limit', '1000'))
    expect(products.items.length, 'the seed inserts every product (Citus before 13.2.1 lost them)').to.be.greaterThan(100)
  })

  it('imports products with and without categories, and customers', async () => {
    const withCategories = path.join(dir, 'products.csv')
    writeFileSync(withCategories, 'sku,name,category\nCZ-1,Bolt,Citus/Fasteners\nCZ-2,Nut,Citus/Fasteners\nCZ-3,Saw,Citus/Tools\n')
    const imported = okResult(await inTenant('import', 'products', withCategories))
    expect(imported).to.include({ inserted: 3 })
    expect(imported.extra).to.deep.equal({ categoriesCreated: 3 })
    const plain = path.join(dir, 'plain.csv')
    writeFileSync(plain, 'sku,name\nCZ-4,Plain\n')
    expect(okResult(await inTenant('import', 'products', plain, '--no-create-categories'))).to.include({ inserted: 1 })
    const customers = path.join(dir, 'customers.csv')
    writeFileSync(customers, 'code,name,email\nCZC-1,First,first@example.com\nCZC-2,Second,second@example.com\n')
    expect(okResult(await inTenant('import', 'customers', customers))).to.include({ inserted: 2 })
    okResult(await inTenant('products', 'create', 'CZ-5', '--name', 'One more', '--category', 'Citus/Tools'))
    okResult(await inTenant('customers', 'create', 'CZC-3', '--name', 'Third'))
  })

  // Every check for a key twice in one file is an INSERT … SELECT between staging tables, a shape
  // Citus 13.2 mis-deparses when written plainly (src/lib/importer/repeats.ts): one case per importer.
  it('imports in upsert mode, and names rows whose key the file already has', async () => {
    const upsert = path.join(dir, 'upsert.csv')
    writeFileSync(upsert, 'sku,name\nCZ-6,New\nCZ-1,Renamed\n')
    expect(okResult(await inTenant('import', 'products', upsert, '--mode', 'upsert'))).to.include({ inserted: 1, updated: 1 })
    const repeated = async (entity: string, csv: string, message: RegExp, ...flags: string[]) => {
      const file = path.join(dir, `${entity}-repeated.csv`)
      writeFileSync(file, csv)
      const error = failedWith(await inTenant('import', entity, file, ...flags), 65, 'INVALID_DATA')
      expect(error.message).to.match(message)
    }
    await repeated('products', 'sku,name\nCZ-7,First\nCZ-7,Second\n', /duplicate SKU in the file \(first on line 2\)/)
    await repeated('products', 'sku,name\nCZ-8,First\nCZ-8,Second\n', /duplicate SKU in the file \(first on line 2\)/, '--mode', 'upsert')
    await repeated('products', 'sku,name,barcode\nCZ-9,A,4006381333931\nCZ-10,B,4006381333931\n', /duplicate barcode in the file \(first on line 2\)/)
    await repeated('customers', 'code,name\nCZC-8,A\nCZC-8,B\n', /duplicate customer code in the file \(first on line 2\)/)
    await repeated('users', 'email,name,role\nczu@example.com,A,clerk\nCZU@example.com,B,clerk\n', /duplicate email in the file \(first on line 2\)/)
    await repeated('price-list-items', 'price_list,sku,price\nRETAIL,CZ-1,1\nRETAIL,CZ-1,2\n', /the same price list, SKU, quantity and start date as line 2/, '--mode', 'upsert')
  })

  it('receives and reserves stock, runs an order to a paid invoice', async () => {
    okResult(await inTenant('warehouses', 'create', 'CZW'))
    okResult(await inTenant('stock', 'receive', '--sku', 'CZ-1', '--qty', '100', '--location', 'CZW'))
    okResult(await inTenant('stock', 'reserve', '--reference', 'CZ-RES', '--line', 'CZ-1:5'))
    const order = okResult(await inTenant('orders', 'create', '--customer', 'CZC-1', '--line', 'CZ-1:10@2.50'))
    okResult(await inTenant('orders', 'confirm', order.reference))
    okResult(await inTenant('orders', 'fulfil', order.reference))
    const draft = okResult(await inTenant('invoices', 'create', '--order', order.reference))
    const issued = okResult(await inTenant('invoices', 'issue', draft.id))
    okResult(await inTenant('invoices', 'pay', issued.number, '--amount', '1', '--method', 'bank'))
    okResult(await inTenant('stock', 'verify'))
  })

  it('reports usage from the shards, as placement does', async () => {
    const [usage] = okResult(await erp('tenants', 'usage', '--tenant', slug)).items
    const [placement] = okResult(await erp('tenants', 'placement', '--tenant', slug)).items
    expect(usage.sizeBytes, 'the shards, not the coordinator shells').to.be.greaterThan(500_000)
    expect(usage.sizeBytes).to.equal(placement.sizeBytes)
    expect(usage.tableRows.products).to.be.greaterThan(100)
  })

  it('check-distributable reports a distributed tenant as such, with nothing to fix', async () => {
    const report = okResult(await erp('tenants', 'check-distributable', slug))
    expect(report).to.deep.include({ checked: 1, distributed: [slug], blocked: [], findings: [] })
  })

  it('migrates, lints and reports migration status', async () => {
    okResult(await erp('migrate', 'latest', '--all-tenants'))
    okResult(await erp('migrate', 'lint'))
    okResult(await erp('migrate', 'status', '--tenant', slug))
  })

  it('backs up, verifies, restores under another slug, clones', async () => {
    const created = okResult(await inTenant('backup', 'create', '--out', dir))
    const file = created.tenants[0].file
    okResult(await erp('backup', 'verify', file))
    const restored = uniqueSlug('czr')
    made.push(restored)
    okResult(await erp('backup', 'restore', file, '--as', restored, '--yes'))
    const clone = uniqueSlug('czc')
    made.push(clone)
    const cloned = okResult(await erp('tenants', 'clone', slug, clone))
    expect(cloned.tables.find((t: { table: string }) => t.table === 'products').rows).to.be.greaterThan(100)
    for (const copy of [restored, clone]) {
      const [p] = okResult(await erp('tenants', 'placement', '--tenant', copy)).items
      expect(p.distributed, copy).to.equal(true)
    }
  })

  it('works through a tenant login and its profile; suspend shuts it out, resume lets it in', async () => {
    const profile = `${slug}_p`
    okResult(await erp('tenants', 'credentials', slug, '--save-profile', profile))
    const asTenant = (...args: string[]) => runProcess([...args, '--profile', profile, '--json'], { env: { DATABASE_URL: undefined, ERP_CONFIG_DIR: CONFIG_DIR } })
    expect(okResult(await asTenant('products', 'list')).items.length).to.be.greaterThan(0)
    okResult(await asTenant('stock', 'receive', '--sku', 'CZ-4', '--qty', '3', '--location', 'CZW'))
    okResult(await erp('tenants', 'suspend', slug))
    expect((await asTenant('products', 'list')).code).to.not.equal(0)
    okResult(await erp('tenants', 'resume', slug))
    okResult(await asTenant('products', 'list'))
  })

  it('moves the tenant to another worker: dry run first, then the move, counts checked', async () => {
    const [before] = okResult(await erp('tenants', 'placement', '--tenant', slug)).items
    const target = workers.find((w) => w !== before.node)!
    const dry = okResult(await erp('tenants', 'move', slug, '--node', target, '--dry-run'))
    expect(dry).to.include({ moved: false, dryRun: true, from: before.node, to: target })
    const [still] = okResult(await erp('tenants', 'placement', '--tenant', slug)).items
    expect(still.node).to.equal(before.node)
    const moved = okResult(await erp('tenants', 'move', slug, '--node', target))
    expect(moved).to.include({ moved: true, from: before.node, to: target })
    expect(moved.tables.every((t: { before: number; after: number }) => t.before === t.after)).to.equal(true)
    expect(moved.analyzed).to.equal(moved.tables.length)
    const [after] = okResult(await erp('tenants', 'placement', '--tenant', slug)).items
    expect(after.node).to.equal(target)
    okResult(await inTenant('orders', 'list'))
    failedWith(await erp('tenants', 'move', slug, '--node', 'no-such-node:5432'), 1, 'NOT_FOUND')
    failedWith(await erp('tenants', 'move', slug, '--node', 'not a node'), 2, 'USAGE')
  })
})
