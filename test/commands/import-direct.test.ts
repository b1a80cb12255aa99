import { expect } from 'chai'

import { cliTenant, runCli, spawnCli } from '../helpers/cli.js'
import { adminQuery as query, namesFor, openTestDb } from '../helpers/database.js'
import { rowChecksums, schemaFingerprint } from '../helpers/schema-fingerprint.js'
import { scratchFiles } from '../helpers/scratch-files.js'

/**
 * The direct load of products (importer/direct.ts, products-direct.ts): an initial load goes
 * straight into the tables and must give exactly what the staged import gives; whatever needs the
 * staged checks (a key that repeats, a bad row, an unknown category…) must get the staged
 * import's answer, and a killed load must leave the tenant as it was, sequences included.
 */

const scratch = scratchFiles('erp-direct-')
const csv = (lines: string[]) => scratch.file(`${lines.join('\n')}\n`)

/** Enough rows for a bulk load, which a direct load is (BULK_LOAD_MIN_ROWS is 20,000). */
const ROWS = 21_000
const HEADER = 'sku,name,description,category,uom,barcode,weight,tax_class,active,tracking,cost,price,attr:colour,attr:length,attr:boxed,attr:finish'

/** Row i: every column, blanks and escapes in turn, nested and escaped category paths. */
function row(i: number, sku = `D-${i}`): string {
  const blank = i % 5 === 0
  const description = i % 3 === 0 ? '"tab\there, back\\slash, ""quoted""\nnew line"' : `Plain ${i}`
  const category = blank ? '' : i % 11 === 0 ? 'Tools\\/Kits/Ø 8' : `Hardware/Group ${i % 13}/Sub ${i % 3}`
  return [sku, `"Bolt ${i}, hex"`, description, category, blank ? '' : 'box', blank ? '' : String(5000000000000 + i),
    blank ? '' : String((i % 50) / 10), blank ? '' : 'reduced', blank ? '' : i % 2 === 0 ? 'no' : 'yes',
    blank ? '' : 'lot', blank ? '' : '0.0125', blank ? '' : String((i % 1000) / 8),
    blank ? '' : i % 2 === 0 ? 'red' : '"Grün ""ok"""', blank ? '' : String(i / 4), blank ? '' : 'true', blank ? '' : 'matt'].join(',')
}

function productsFile(count: number, change: (lines: string[]) => void = () => undefined): string {
  const lines = [HEADER, ...Array.from({ length: count }, (_, i) => row(i))]
  change(lines)
  return csv(lines)
}

async function tenant(): Promise<string> {
  const slug = await cliTenant('direct')
  const t = `tenant_${slug}`
  await query(`insert into ${t}.attributes (code, type, enum_values) values
    ('colour', 'text', null), ('length', 'number', null), ('boxed', 'boolean', null), ('finish', 'enum', '{matt,gloss}')`)
  // A category already there keeps its id; the others are created.
  await query(`insert into ${t}.categories (name, path) values ('Hardware', 'Hardware')`)
  return slug
}

async function imp(slug: string, file: string, ...args: string[]) {
  const r = await runCli(['import', 'products', file, '--tenant', slug, '--json', ...args], { env: { ERP_IMPORT_TRACE: '1' } })
  return { ...r, direct: /\[import\] loaded directly/.test(r.stderr), aside: /direct load stepped aside \(([^)]*)\)/.exec(r.stderr)?.[1] }
}

/** Everything the import wrote, as the staged import would write it (ids aside, which differ between tenants). */
async function contents(slug: string) {
  const t = `tenant_${slug}`
  const digest = async (sql: string) => (await query(`select count(*)::int as n, md5(string_agg(r::text, ',' order by r::text)) as md5 from (${sql}) r`)).rows[0]
  return {
    products: await digest(`select p.sku, p.name, p.description, c.path, p.uom, p.barcode, p.weight, p.tax_class, p.active, p.tracking, p.cost,
      p.attributes, p.archived_at from ${t}.products p left join ${t}.categories c on c.id = p.category_id`),
    categories: await digest(`select c.path, c.name, parent.path as parent from ${t}.categories c left join ${t}.categories parent on parent.id = c.parent_id`),
    prices: await digest(`select l.code, p.sku, i.min_qty, i.valid_from, i.valid_to, i.price from ${t}.price_list_items i
      join ${t}.price_lists l on l.id = i.price_list_id join ${t}.products p on p.id = i.product_id`),
  }
}

async function snapshot(slug: string) {
  const db = await openTestDb()
  try {
    return { schema: await schemaFingerprint(db.knex, `tenant_${slug}`, await namesFor(slug)), rows: await rowChecksums(db.knex, `tenant_${slug}`) }
  } finally {
    await db.close()
  }
}

describe('direct load of an initial products import', function () {
  this.timeout(300_000)

  it('goes straight into the tables and writes what the staged import writes; the sequences move past its ids', async () => {
    const [direct, staged] = [await tenant(), await tenant()]
    const file = productsFile(ROWS)
    const a = await imp(direct, file)
    expect(a.code, a.stderr).to.equal(0)
    expect(a.direct, a.stderr).to.equal(true)
    const b = await imp(staged, file, '--no-bulk-load')
    expect(b.code, b.stderr).to.equal(0)
    expect(b.direct).to.equal(false)
    const summary = (r: typeof a) => ({ ...r.json.result, seconds: 0, file: '' })
    expect(summary(a)).to.deep.equal(summary(b))
    expect(a.json.result).to.include({ inserted: ROWS, rejected: 0 })
    expect(a.json.result.extra).to.deep.equal({ categoriesCreated: 13 + 13 * 3 + 2, pricesSet: ROWS * 4 / 5 })
    expect(await contents(direct)).to.deep.equal(await contents(staged))

    // New rows after it take ids past the loaded ones.
    const t = `tenant_${direct}`
    const { rows: next } = await query(`insert into ${t}.products (sku, name) values ('AFTER-1', 'After') returning id`)
    const { rows: max } = await query(`select max(id)::text as id from ${t}.products where sku <> 'AFTER-1'`)
    expect(BigInt(next[0].id) > BigInt(max[0].id), `${next[0].id} after ${max[0].id}`).to.equal(true)
    const cat = await runCli(['categories', 'create', 'Later/One', '--parents', '--tenant', direct, '--json'])
    expect(cat.code, cat.stderr + cat.stdout).to.equal(0)
  })

  it('SKUs differing only in case: the staged import answers (ASCII in the stream, beyond ASCII in the database)', async () => {
    // Beyond ASCII the database's lower() is the rule, and it depends on the cluster's ctype: the
    // embedded server's C locale folds ASCII only, so there ÄRGER-1 and ärger-1 are two unrelated SKUs
    // to both paths.
    const { rows: [{ folds }] } = await query(`select lower('ÄRGER-1') = lower('ärger-1') as folds`)
    for (const [first, second, sameInCase] of [['CASE-1', 'case-1', true], ['ÄRGER-1', 'ärger-1', folds]] as const) {
      const [direct, staged] = [await tenant(), await tenant()]
      const file = productsFile(ROWS, (lines) => {
        lines[100] = row(99, first)
        lines[5000] = row(4999, second)
      })
      const a = await imp(direct, file)
      const b = await imp(staged, file, '--no-bulk-load')
      expect(a.code, a.stderr).to.equal(0)
      if (sameInCase) {
        expect(a.aside, a.stderr).to.match(/SKU/)
        expect(a.json.result.warnings.join(' ')).to.include(`${first} / ${second}`)
      } else {
        expect(a.direct, a.stderr).to.equal(true)
      }
      expect(a.json.result.warnings).to.deep.equal(b.json.result.warnings)
      expect(await contents(direct)).to.deep.equal(await contents(staged))
    }
  })

  for (const [what, change, message, args] of [
    // Lines count the newlines inside quoted descriptions (every third row has one).
    ['a SKU twice', (lines: string[]) => { lines[300] = row(299, 'D-7') }, /duplicate SKU in the file \(first on line 12\)/, []],
    ['a barcode twice', (lines: string[]) => { lines[302] = lines[302].replace(String(5000000000000 + 301), String(5000000000000 + 1)) }, /duplicate barcode in the file \(first on line 4\)/, []],
    ['a bad cell', (lines: string[]) => { lines[20_500] = lines[20_500].replace(/,lot,/, ',batch,') }, /tracking/, []],
    ['an unknown category under --no-create-categories', () => undefined, /unknown category/, ['--no-create-categories']],
  ] as const) {
    it(`${what}: the staged import names the rows; nothing is written`, async () => {
      const slug = await tenant()
      const before = await snapshot(slug)
      const r = await imp(slug, productsFile(ROWS, change), ...args)
      expect(r.code, r.stderr).to.equal(65)
      expect(r.aside, r.stderr).to.be.a('string')
      expect(JSON.stringify(r.json.error.data.errors), JSON.stringify(r.json.error.data.errors)).to.match(message)
      const after = await snapshot(slug)
      if (what.endsWith('twice')) {
        // The staged import leaves a repeat to the unique index: its merge runs, and draws numbers, before it is rolled back.
        delete before.schema.sequences
        delete after.schema.sequences
      }
      expect(after).to.deep.equal(before)
    })
  }

  it('prices with no default price list: the staged import\'s error; a file too small for a bulk load: staged', async () => {
    const slug = await tenant()
    await query(`update tenant_${slug}.price_lists set is_default = false`)
    const r = await imp(slug, productsFile(ROWS))
    expect(r.code, r.stderr).to.equal(65)
    expect(r.aside).to.match(/default price list/)
    expect(r.json.error.message).to.match(/no default price list/)

    // Too few bytes to hold a bulk load's rows: staged without reading it twice; enough bytes but
    // too few rows: counted, then staged.
    const small = await imp(await tenant(), productsFile(50))
    expect(small.code, small.stderr).to.equal(0)
    expect(small.aside).to.match(/^\d+ bytes: too few/)
    expect(small.stderr).not.to.match(/products copied/)
    expect(small.json.result).to.include({ inserted: 50 })
    const fewer = await imp(await tenant(), productsFile(1000))
    expect(fewer.code, fewer.stderr).to.equal(0)
    expect(fewer.aside).to.equal('1000 rows: too few for a bulk load')
    expect(fewer.json.result).to.include({ inserted: 1000 })
  })

  it('two initial imports at once into one tenant: one loads directly, the other waits and is staged; both land', async () => {
    const slug = await tenant()
    const other = productsFile(ROWS, (lines) => {
      for (let i = 1; i < lines.length; i++) lines[i] = lines[i].replace(/^D-/, 'E-').replace(/,5000000/, ',6000000')
    })
    const run = (file: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawnCli(['import', 'products', file, '--tenant', slug], { ERP_IMPORT_TRACE: '1' })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (code) => resolve({ code, stderr }))
    })
    const results = await Promise.all([run(productsFile(ROWS)), run(other)])
    for (const r of results) expect(r.code, r.stderr).to.equal(0)
    expect(results.filter((r) => /loaded directly/.test(r.stderr))).to.have.length(1)
    const { rows } = await query(`select count(*)::int as n, count(distinct id)::int as ids from tenant_${slug}.products`)
    expect(rows[0]).to.deep.equal({ n: 2 * ROWS, ids: 2 * ROWS })
  })

  it('kill -9 during the direct load leaves the tenant exactly as it was, its sequences too', async () => {
    const slug = await tenant()
    const before = await snapshot(slug)
    const child = spawnCli(['import', 'products', productsFile(80_000), '--tenant', slug], { ERP_IMPORT_TRACE: '1' })
    const exited = new Promise((resolve) => child.on('close', resolve))
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d
        if (/products: bulk load/.test(stderr)) setTimeout(resolve, 300)
      })
      child.on('close', () => reject(new Error(`the import ended before its bulk load: ${stderr}`)))
    })
    child.kill('SIGKILL')
    await exited
    for (let i = 0; i < 300; i++) {
      const { rows } = await query('select count(*)::int as n from pg_locks where relation = $1::regclass and pid <> pg_backend_pid()', [`tenant_${slug}.products`])
      if (rows[0].n === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await snapshot(slug)).to.deep.equal(before)
  })
})
