import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { runCli, cliTenant } from '../helpers/cli.js'
import { adminQuery as query } from '../helpers/database.js'

/** What clients send: Excel's encodings, Northwind-style customers, case-only SKUs, category names with "/". */
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'clients')
const fixture = (name: string) => path.join(fixtures, name)
const dir = mkdtempSync(path.join(tmpdir(), 'erp-import-readers-'))
let n = 0
function file(content: string | Buffer, ext = 'csv'): string {
  const p = path.join(dir, `f${n++}.${ext}`)
  writeFileSync(p, content)
  return p
}

const tenant = () => cliTenant('imprd')

const imp = (slug: string, entity: string, ...args: string[]) => runCli(['import', entity, ...args, '--tenant', slug, '--json'])

/** Each text column as the hex of its UTF-8 bytes, as the database holds them. */
const productBytes = (slug: string) =>
  query(`select sku, encode(convert_to(name, 'UTF8'), 'hex') as name, encode(convert_to(coalesce(description, ''), 'UTF8'), 'hex') as description
         from tenant_${slug}.products order by sku`).then((r) => r.rows)
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex')

describe('import readers: encodings', () => {
  it('reads Excel files in Windows-1252, UTF-16 (LE and BE, with a mark), UTF-8 with a mark and Latin-1: € “ ” – byte for byte', async () => {
    const slug = await tenant()
    const cases: [string, string, string[][]][] = [
      ['products-excel-windows-1252.csv', 'windows-1252', [
        ['EU-100', 'Kaffeebecher „Classic“', 'Preis 4 € – spülmaschinenfest'],
        ['EU-101', 'Teekanne “Earl”', 'Größe – 1,2 l'],
        ['EU-102', 'Crème brûlée Set', 'Ø 10 cm · 4 Förmchen'],
      ]],
      ['products-excel-unicode-text.txt', 'utf16le', [['U16-1', 'Kaffeebecher „Classic“', 'Preis 4 € – spülmaschinenfest'], ['U16-2', 'Κούπα', '日本語の説明']]],
      ['products-utf16be.csv', 'utf16be', [['BE-1', 'Preis 4 € – “gut”', '']]],
      ['products-excel-utf8.csv', 'utf8', [['U8-1', 'Preis 4 € – “gut”', '']]],
      ['products-latin1.csv', 'windows-1252', [['L1-1', 'Café crème à 3 ¤', '']]],
    ]
    const expected: Record<string, { name: string; description: string }> = {}
    for (const [name, encoding, rows] of cases) {
      const r = await imp(slug, 'products', fixture(name))
      expect(r.code, `${name}: ${r.stdout}`).to.equal(0)
      expect(r.json.result.encoding, name).to.equal(encoding)
      for (const [sku, productName, description] of rows) expected[sku] = { name: hex(productName), description: hex(description) }
    }
    const stored = Object.fromEntries((await productBytes(slug)).map((p) => [p.sku, { name: p.name, description: p.description }]))
    expect(stored).to.deep.equal(expected)
    // Latin-1 proper, asked for, reads the same bytes as ISO-8859-1 (¤ is 0xA4 there, € in neither).
    const latin = await imp(slug, 'products', file(Buffer.from('sku;name\nL1-2;Caf\xe9 \xa4\n', 'latin1')), '--encoding', 'latin1')
    expect(latin.code, latin.stdout).to.equal(0)
    expect(latin.json.result.encoding).to.equal('latin1')
    expect((await productBytes(slug)).find((p) => p.sku === 'L1-2')!.name).to.equal(hex('Café ¤'))
  })

  it('refuses what would store control characters or guess: Windows-1252 read as Latin-1 or UTF-8, undefined bytes, a contradicting mark', async () => {
    const slug = await tenant()
    const asLatin1 = await imp(slug, 'products', fixture('products-excel-windows-1252.csv'), '--encoding', 'latin1')
    expect(asLatin1.code).to.equal(65)
    expect(asLatin1.json.error.message).to.match(/:2: byte 0x84 read as Latin-1 is an invisible control character/)
    expect(asLatin1.json.error.actions[0]).to.contain('--encoding windows-1252')
    const asUtf8 = await imp(slug, 'products', fixture('products-excel-windows-1252.csv'), '--encoding', 'utf8')
    expect(asUtf8.code).to.equal(65)
    expect(asUtf8.json.error.message).to.match(/:2: the file is not valid UTF-8/)
    expect(asUtf8.json.error.actions[0]).to.contain('--encoding windows-1252')
    // Valid UTF-8 for its first chunk, then a Windows-1252 byte: read as UTF-8, refused at its line.
    const rows = Array.from({ length: 150_000 }, (_, i) => `S-${i},ok\n`).join('')
    const late = await imp(slug, 'products', file(Buffer.concat([Buffer.from(`sku,name\n${rows}S-X,`), Buffer.from([0x80, 0x0a])])))
    expect(late.code).to.equal(65)
    expect(late.json.error.message).to.match(/:150002: the file is not valid UTF-8 \(its start is, so it was read as UTF-8\)/)
    const undefinedByte = await imp(slug, 'products', file(Buffer.from([...Buffer.from('sku,name\nU-1,a'), 0x81, 0x0a])), '--encoding', 'windows-1252')
    expect(undefinedByte.code).to.equal(65)
    expect(undefinedByte.json.error.message).to.match(/:2: the file has a byte that is no character in Windows-1252/)
    const contradicted = await imp(slug, 'products', fixture('products-excel-unicode-text.txt'), '--encoding', 'windows-1252')
    expect(contradicted.code).to.equal(2)
    expect(contradicted.json.error.message).to.match(/starts with a UTF-16 LE byte order mark, but --encoding windows-1252 was given/)
    expect(await productBytes(slug)).to.deep.equal([])
  })
})

describe('import readers: countries and phone numbers', () => {
  it('reads Northwind-style customers: country names and aliases to ISO codes, phones in the country, normalised when valid', async () => {
    const slug = await tenant()
    const r = await imp(slug, 'customers', fixture('customers-northwind.csv'))
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result).to.include({ inserted: 8, rejected: 0 })
    const { rows } = await query(`select c.code, c.phone, a.country from tenant_${slug}.customers c
      join tenant_${slug}.customer_addresses a on a.customer_id = c.id and a.kind = 'billing' order by c.code`)
    expect(rows).to.deep.equal([
      { code: 'ALFKI', phone: '+49 30 0074321', country: 'DE' },
      // Not valid numbers today (old London and Mexico City codes): kept as written.
      { code: 'ANATR', phone: '(5) 555-4729', country: 'MX' },
      { code: 'AROUT', phone: '(171) 555-7788', country: 'GB' },
      { code: 'BOLID', phone: '+34 915 55 22 82', country: 'ES' },
      { code: 'BOTTM', phone: '+1 604 555 4729', country: 'CA' },
      { code: 'BSBEV', phone: '(171) 555-1212', country: 'GB' },
      { code: 'GREAL', phone: '+1 503 555 7555', country: 'US' },
      { code: 'WOLZA', phone: '+48 26 642 70 12', country: 'PL' },
    ])
  })

  it('refuses a phone no reading makes a number of, and a country that is none or two', async () => {
    const slug = await tenant()
    const r = await imp(slug, 'customers', file('code,name,phone,billing_line1,billing_city,billing_country\n' +
      'A1,Fine,+44 20 7946 0000,1 High St,London,GB\nA2,No phone,n/a,1 Road,Paris,France\nA3,Short,12,1 Road,Paris,FR\n' +
      'A4,Korea,,1 Road,Seoul,Korea\nA5,Nowhere,,1 Road,Atlantis,Atlantis\nA6,Reserved,,1 Road,X,ZZ\nA7,Ext,(212) 555-0199 x 12,1 Road,NYC,United States\n'))
    expect(r.code).to.equal(65)
    const errors = r.json.error.data.errors.map((e: { line: number; column: string; message: string }) => [e.line, e.column, e.message.replace(/:.*/, '')])
    expect(errors).to.deep.equal([
      [3, 'phone', '"n/a" is not a phone number'],
      [4, 'phone', '"12" is not a phone number'],
      [5, 'billing_country', '"Korea" is not a country'],
      [6, 'billing_country', '"Atlantis" is not a country'],
      [7, 'billing_country', '"ZZ" is not a country'],
    ])
    expect((await query(`select count(*)::int as n from tenant_${slug}.customers`)).rows[0].n).to.equal(0)
  })
})

describe('import readers: case-only duplicate keys and trimmed whitespace', () => {
  const skus = (slug: string) => query(`select sku, name from tenant_${slug}.products order by sku`).then((r) => r.rows.map((p) => `${p.sku}:${p.name}`))

  it('warns about SKUs that differ only in case, in the file and against the catalog; refuses them with --case-duplicates refuse', async () => {
    const slug = await tenant()
    const csv = 'sku,name\n85123A,White hanging heart\n85123a,White hanging heart (lower)\n22423,Regency cakestand\n'
    const warned = await imp(slug, 'products', file(csv))
    expect(warned.code, warned.stdout).to.equal(0)
    expect(warned.json.result.inserted).to.equal(3)
    expect(warned.json.warnings).to.have.length(1)
    expect(warned.json.warnings[0]).to.match(/1 SKU\(s\) come in several cases \(85123A \/ 85123a\); each spelling is a product of its own/)
    expect(warned.json.result.warnings).to.deep.equal(warned.json.warnings)

    const human = await runCli(['import', 'products', file('sku,name\n22423x,Other\n22423X,Other\n'), '--tenant', slug])
    expect(human.code).to.equal(0)
    expect(human.stderr).to.match(/Warning: .*22423X \/ 22423x|Warning: .*22423x \/ 22423X/)

    const slug2 = await tenant()
    const refused = await imp(slug2, 'products', file(csv), '--case-duplicates', 'refuse')
    expect(refused.code).to.equal(65)
    expect(refused.json.error.data.errors).to.deep.equal([{ line: 3, column: 'sku', value: '85123a', message: 'SKU differs only in case from 85123A on line 2' }])
    expect(await skus(slug2)).to.deep.equal([])

    // Against what the catalog holds: 85123A exists, the file brings 85123a.
    const against = await imp(slug, 'products', file('sku,name\n22423,Regency cakestand\n22423X,Other\n'), '--mode', 'upsert')
    expect(against.code, against.stdout).to.equal(0)
    expect(against.json.warnings).to.deep.equal([])
    const newCase = await imp(slug, 'products', file('sku,name\n22423,Regency cakestand\n85123A,White hanging heart\n'), '--mode', 'upsert', '--case-duplicates', 'refuse')
    expect(newCase.code, newCase.stdout).to.equal(0)
    const slug3 = await tenant()
    expect((await imp(slug3, 'products', file('sku,name\nABC-1,One\n'))).code).to.equal(0)
    const lower = await imp(slug3, 'products', file('sku,name\nabc-1,One again\n'), '--mode', 'upsert')
    expect(lower.code, lower.stdout).to.equal(0)
    expect(lower.json.warnings[0]).to.match(/1 SKU\(s\) differ only in case from existing products: abc-1 \(existing: ABC-1\)/)
    const lowerRefused = await imp(slug3, 'products', file('sku,name\nabc-2,Two\nABC-2,Two\n'), '--case-duplicates', 'refuse')
    expect(lowerRefused.code).to.equal(65)
    // abc-1 now exists as written: an update of it is no case duplicate; Abc-1 is.
    expect((await imp(slug3, 'products', file('sku,name\nabc-1,One again\n'), '--mode', 'upsert', '--case-duplicates', 'refuse')).code).to.equal(0)
    const lowerAgainst = await imp(slug3, 'products', file('sku,name\nAbc-1,Three\n'), '--mode', 'upsert', '--case-duplicates', 'refuse')
    expect(lowerAgainst.code).to.equal(65)
    expect(lowerAgainst.json.error.data.errors.map((e: { message: string }) => e.message)).to.have.members([
      'SKU differs only in case from the existing ABC-1 (--case-duplicates warn keeps both)',
      'SKU differs only in case from the existing abc-1 (--case-duplicates warn keeps both)',
    ])
    expect(await skus(slug3)).to.deep.equal(['ABC-1:One', 'abc-1:One again'])
  })

  it('trims spaces around cells, quoted or not, and says how many', async () => {
    const slug = await tenant()
    const r = await imp(slug, 'products', file('sku,name,description\n"  T-1 ",Plain,"  padded  "\nT-2,"Tidy",\n T-3 ,  Spaced,x\n'))
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result.trimmedCells).to.equal(4)
    expect(r.json.warnings[0]).to.match(/4 cell\(s\) had spaces before or after the text, which were removed \(quoted or not; first: .*:2 column "sku"\)/)
    expect((await query(`select sku, name, description from tenant_${slug}.products order by sku`)).rows).to.deep.equal([
      { sku: 'T-1', name: 'Plain', description: 'padded' },
      { sku: 'T-2', name: 'Tidy', description: null },
      { sku: 'T-3', name: 'Spaced', description: 'x' },
    ])
    const clean = await imp(slug, 'products', file('sku,name\nT-4,Clean\n'))
    expect(clean.json.result.trimmedCells).to.equal(0)
    expect(clean.json.warnings).to.deep.equal([])
  })
})

describe('import categories / export categories: a "/" inside a name', () => {
  const tree = (slug: string) => runCli(['categories', 'list', '--tenant', slug, '--json']).then((r) => {
    expect(r.code, r.stdout).to.equal(0)
    return r.json.result.items.map((c: { path: string; name: string; products: number; description: string | null }) => [c.path, c.name, c.products, c.description])
  })

  it('imports parent+name rows (Northwind categories), lists them as a tree, exports a file that re-imports unchanged', async () => {
    const slug = await tenant()
    const dry = await imp(slug, 'categories', fixture('categories-northwind.csv'), '--dry-run')
    expect(dry.code, dry.stdout).to.equal(0)
    expect(dry.json.result).to.include({ inserted: 7, dryRun: true })
    expect(await tree(slug)).to.deep.equal([])
    const r = await imp(slug, 'categories', fixture('categories-northwind.csv'))
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result).to.include({ inserted: 7, updated: 0 })
    expect(r.json.result.extra).to.deep.equal({ ancestorsCreated: 0 })
    // Products land in "Grains/Cereals" (one name), not in Cereals under Grains.
    const products = await imp(slug, 'products', file('sku,name,category\nP-1,Spaghetti,Grains\\/Cereals/Pasta\\/Noodles\nP-2,Bread,Grains\\/Cereals\nP-3,Ale,Beverages/Beers & Ales\n'))
    expect(products.code, products.stdout).to.equal(0)
    expect(products.json.result.extra).to.include({ categoriesCreated: 0 })
    const expected = [
      ['Beverages', 'Beverages', 0, 'Soft drinks, coffees, teas, beers, and ales'],
      ['Beverages/Beers & Ales', 'Beers & Ales', 1, null],
      ['Condiments', 'Condiments', 0, 'Sweet and savory sauces, relishes, spreads, and seasonings'],
      ['Dairy Products', 'Dairy Products', 0, 'Cheeses'],
      ['Grains\\/Cereals', 'Grains/Cereals', 1, 'Breads, crackers, pasta, and cereal'],
      ['Grains\\/Cereals/Pasta\\/Noodles', 'Pasta/Noodles', 1, 'Fresh and dried'],
      ['Meat\\/Poultry', 'Meat/Poultry', 0, 'Prepared meats'],
    ]
    expect(await tree(slug)).to.deep.equal(expected)
    const under = await runCli(['categories', 'list', '--tenant', slug, '--under', 'Grains\\/Cereals', '--json'])
    expect(under.json.result.items.map((c: { name: string }) => c.name)).to.deep.equal(['Grains/Cereals', 'Pasta/Noodles'])
    expect((await runCli(['products', 'list', '--tenant', slug, '--category', 'Grains\\/Cereals', '--json'])).json.result.items.map((p: { sku: string }) => p.sku))
      .to.have.members(['P-1', 'P-2'])

    const out = path.join(dir, 'categories.csv')
    const exported = await runCli(['export', 'categories', '--tenant', slug, '--output', out, '--json'])
    expect(exported.code, exported.stdout).to.equal(0)
    expect(exported.json.result.rows).to.equal(7)
    const again = await imp(slug, 'categories', out, '--mode', 'upsert')
    expect(again.json.result).to.include({ inserted: 0, updated: 0, unchanged: 7 })
    const fresh = await tenant()
    const copied = await imp(fresh, 'categories', out)
    expect(copied.code, copied.stdout).to.equal(0)
    expect((await tree(fresh)).map(([p, n, , d]: unknown[]) => [p, n, d])).to.deep.equal(expected.map(([p, n, , d]) => [p, n, d]))

    const described = await imp(slug, 'categories', file('path,description\nDairy Products,Cheeses and butter\nSeafood/Fish,Fresh fish\n'), '--mode', 'upsert')
    expect(described.code, described.stdout).to.equal(0)
    expect(described.json.result).to.include({ inserted: 1, updated: 1 })
    expect(described.json.result.extra).to.deep.equal({ ancestorsCreated: 1 })
  })

  it('lists a child right under its parent whatever characters the siblings use (the path text sorted " " and "-" before "/")', async () => {
    const slug = await tenant()
    const r = await imp(slug, 'products', file('sku,name,category\nA,a,Grains/Cereals\nB,b,Grains Extra\nC,c,Grains-x\nD,d,grains/rye\n'))
    expect(r.code, r.stdout).to.equal(0)
    expect((await tree(slug)).map(([p]: string[]) => p)).to.deep.equal(['Grains', 'Grains/Cereals', 'grains', 'grains/rye', 'Grains Extra', 'Grains-x'])
  })

  it('refuses bad rows (all at once, nothing written): both forms, no name, twice in the file, existing in insert mode, control characters', async () => {
    const slug = await tenant()
    expect((await runCli(['categories', 'create', 'Tools', '--tenant', slug])).code).to.equal(0)
    const r = await imp(slug, 'categories', file('path,parent,name,description\nA/B,,,\n,X,,\nTools,,,\n,,,only a description\nA/B,,,\n"Tab\tbed",,,\n'))
    expect(r.code).to.equal(65)
    expect(r.json.error.data.errors.map((e: { line: number; column: string; message: string }) => [e.line, e.column, e.message])).to.deep.equal([
      [3, 'name', 'needs a name under its parent'],
      [4, 'path', 'the category exists (import with --mode upsert to update it)'],
      [5, 'path', 'needs a path, or a name (with its parent)'],
      [6, 'path', 'the category is in the file twice (first on line 2)'],
      [7, 'path', 'a category name cannot hold control characters (tabs, line breaks…)'],
    ])
    expect((await tree(slug)).map(([p]: string[]) => p)).to.deep.equal(['Tools'])
    const both = await imp(slug, 'categories', file('path,name\nA,B\n'))
    expect(both.json.error.data.errors[0].message).to.equal('give the path, or the parent and the name, not both')
    const missing = await imp(slug, 'categories', file('description\nx\n'))
    expect(missing.code).to.equal(65)
    expect(missing.json.error.message).to.match(/required column "path" is missing/)
  })

  it('creates and moves categories whose names hold "/" from the command line', async () => {
    const slug = await tenant()
    const created = await runCli(['categories', 'create', 'Grains\\/Cereals', '--parent', 'Food', '--tenant', slug, '--json'])
    expect(created.code, created.stdout).to.equal(1)
    expect((await runCli(['categories', 'create', 'Food', '--tenant', slug])).code).to.equal(0)
    const ok = await runCli(['categories', 'create', 'Grains\\/Cereals', '--parent', 'Food', '--description', 'Bread', '--tenant', slug, '--json'])
    expect(ok.code, ok.stdout).to.equal(0)
    expect(ok.json.result.category).to.include({ name: 'Grains/Cereals', path: 'Food/Grains\\/Cereals', description: 'Bread' })
    const moved = await runCli(['categories', 'move', 'Food/Grains\\/Cereals', '--to', '/', '--name', 'Rice\\/Grains', '--tenant', slug, '--json'])
    expect(moved.code, moved.stdout).to.equal(0)
    expect(moved.json.result.category).to.include({ name: 'Rice/Grains', path: 'Rice\\/Grains' })
    expect((await tree(slug)).map(([p]: string[]) => p)).to.deep.equal(['Food', 'Rice\\/Grains'])
  })
})
