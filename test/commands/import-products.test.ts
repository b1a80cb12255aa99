import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'

import { runCli, spawnCli, cliTenant } from '../helpers/cli.js'
import { scratchFiles } from '../helpers/scratch-files.js'
import { adminQuery as query } from '../helpers/database.js'

const { dir, file } = scratchFiles('erp-import-')

const tenant = () => cliTenant('imp')

const products = (slug: string) =>
  query(`select p.sku, p.name, p.description, c.path as category, p.barcode, p.weight::text, p.active, p.attributes
         from tenant_${slug}.products p left join tenant_${slug}.categories c on c.id = p.category_id order by p.sku`).then((r) => r.rows)

const imp = (slug: string, ...args: string[]) => runCli(['import', 'products', ...args, '--tenant', slug, '--json'])

const GOOD = 'sku,name,description,category,barcode,weight\n' +
  'A-1,"Bolt, hex M8","multi\nline",Hardware/Fasteners,400001,0.012\n' +
  'A-2,Nut M8,,Hardware/Fasteners,,\n' +
  'B-1,=SUM(A1:A2),"say ""hi""",Tools,400003,1.5\n'

describe('erp import products', () => {
  it('inserts rows, creates category paths, keeps formula-looking text as data', async () => {
    const slug = await tenant()
    const r = await imp(slug, file(GOOD))
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    expect(r.json.result).to.include({ rows: 3, inserted: 3, updated: 0, unchanged: 0, rejected: 0, mode: 'insert' })
    expect(r.json.result.extra).to.include({ categoriesCreated: 3 })
    expect(r.json.result.sha256).to.match(/^[0-9a-f]{64}$/)
    const rows = await products(slug)
    expect(rows.map((p) => [p.sku, p.name, p.category])).to.deep.equal([
      ['A-1', 'Bolt, hex M8', 'Hardware/Fasteners'],
      ['A-2', 'Nut M8', 'Hardware/Fasteners'],
      ['B-1', '=SUM(A1:A2)', 'Tools'],
    ])
    expect(rows[0].description).to.equal('multi\nline')
    expect(rows[2].description).to.equal('say "hi"')
    const audit = await query(`select args from erp.audit_log where tenant = $1 and command like 'import%products'`, [slug])
    expect(audit.rows[0].args.sha256).to.equal(r.json.result.sha256)
  })

  it('upsert is idempotent, counts updated and unchanged rows, and only touches the columns in the file', async () => {
    const slug = await tenant()
    expect((await imp(slug, file(GOOD))).code).to.equal(0)
    await query(`update tenant_${slug}.products set tax_class = 'reduced' where sku = 'A-2'`)
    const again = await imp(slug, file(GOOD), '--mode', 'upsert')
    expect(again.code, again.stdout).to.equal(0)
    expect(again.json.result).to.include({ inserted: 0, updated: 0, unchanged: 3, rejected: 0 })
    const changed = await imp(slug, file('SKU,Name\nA-2,Nut M8 (steel)\nC-1,Washer\n'), '--mode', 'upsert')
    expect(changed.json.result).to.include({ inserted: 1, updated: 1, unchanged: 0 })
    const rows = await products(slug)
    expect(rows.find((p) => p.sku === 'A-2')).to.include({ name: 'Nut M8 (steel)', category: 'Hardware/Fasteners' })
    const taxClass = await query(`select tax_class from tenant_${slug}.products where sku = 'A-2'`)
    expect(taxClass.rows[0].tax_class).to.equal('reduced')
  })

  it('update mode changes existing products and rejects unknown SKUs; insert mode rejects existing ones', async () => {
    const slug = await tenant()
    await imp(slug, file(GOOD))
    const before = await products(slug)
    const update = await imp(slug, file('sku,weight\nA-1,2\nZZ-9,1\n'), '--mode', 'update')
    expect(update.code).to.equal(65)
    expect(update.json.error.message).to.match(/:3: column "sku": no product with this SKU/)
    expect(await products(slug)).to.deep.equal(before)
    const ok = await imp(slug, file('sku,weight\nA-1,2\n'), '--mode', 'update')
    expect(ok.json.result).to.include({ updated: 1, inserted: 0 })
    const insert = await imp(slug, file('sku,name\nA-1,Again\nN-1,New\n'))
    expect(insert.code).to.equal(65)
    expect(insert.json.error.data.errors[0]).to.include({ line: 2, column: 'sku', value: 'A-1' })
    expect(insert.json.error.data.errors[0].message).to.match(/already exists.*--mode upsert/)
    expect((await products(slug)).map((p) => p.sku)).to.deep.equal(['A-1', 'A-2', 'B-1'])
  })

  it('a file whose only faults are what unique indexes refuse still names every such row (the merge is rolled back)', async () => {
    const slug = await tenant()
    await imp(slug, file(GOOD))
    const before = await products(slug)
    const errors = path.join(dir, 'unique-rejects.csv')
    const clash = await imp(slug, file('sku,name,barcode,category\nN-1,New,500001,New/Path\nN-1,Again,500002,\nN-2,Other,500001,\nN-3,Taken,400001,\nA-2,Exists,,\n'), '--errors', errors)
    expect(clash.code).to.equal(65)
    const found = clash.json.error.data.errors.map((e: { line: number; column: string; message: string }) => `${e.line} ${e.column}: ${e.message}`)
    expect(found).to.deep.equal([
      '3 sku: duplicate SKU in the file (first on line 2)',
      '4 barcode: duplicate barcode in the file (first on line 2)',
      '5 barcode: barcode already belongs to product A-1',
      '6 sku: a product with this SKU already exists (import with --mode upsert to update it)',
    ])
    expect(readFileSync(errors, 'utf8').trim().split('\n')).to.have.length(5)
    expect(await products(slug)).to.deep.equal(before)
    expect((await query(`select count(*)::int as n from tenant_${slug}.categories`)).rows[0].n).to.equal(3)

    // Two rows for one existing product would update it twice without any index noticing: checked up front.
    const twice = await imp(slug, file('sku,name\nA-1,First\nA-1,Second\n'), '--mode', 'upsert')
    expect(twice.code).to.equal(65)
    expect(twice.json.error.message).to.match(/:3: column "sku": duplicate SKU in the file \(first on line 2\)/)
    expect(await products(slug)).to.deep.equal(before)
  })

  it('refuses to update an archived product, naming the restore command', async () => {
    const slug = await tenant()
    await imp(slug, file(GOOD))
    expect((await runCli(['products', 'archive', 'A-2', '--tenant', slug])).code).to.equal(0)
    const r = await imp(slug, file('sku,name\nA-1,Renamed\nA-2,Renamed too\n'), '--mode', 'upsert')
    expect(r.code).to.equal(65)
    expect(r.json.error.message).to.match(/:3: column "sku": product A-2 is archived \(restore it first: erp products restore A-2\)/)
    expect((await products(slug)).map((p) => p.name)).to.deep.equal(['Bolt, hex M8', 'Nut M8', '=SUM(A1:A2)'])
  })

  it('a file of SKUs and prices only updates the prices', async () => {
    const slug = await tenant()
    expect((await runCli(['price-lists', 'create', '--code', 'BASE', '--currency', 'EUR', '--default', '--tenant', slug])).code).to.equal(0)
    await imp(slug, file(GOOD))
    const prices = (sku: string) => query(`select i.price::text from tenant_${slug}.price_list_items i join tenant_${slug}.products p on p.id = i.product_id where p.sku = $1`, [sku]).then((r) => r.rows.map((x) => x.price))
    const first = await imp(slug, file('sku,price\nA-1,9.5\nA-2,1\n'), '--mode', 'update')
    expect(first.code, first.stdout).to.equal(0)
    expect(first.json.result).to.include({ updated: 0, inserted: 0 })
    expect(first.json.result.extra).to.include({ pricesSet: 2 })
    const second = await imp(slug, file('sku,price\nA-1,9.75\nA-2,1\n'), '--mode', 'update')
    expect(second.json.result.extra).to.include({ pricesSet: 1 })
    expect(await prices('A-1')).to.deep.equal(['9.7500'])
    expect(await prices('A-2')).to.deep.equal(['1.0000'])
  })

  it('a dry run reports what would change and writes nothing', async () => {
    const slug = await tenant()
    const r = await imp(slug, file(GOOD), '--dry-run')
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result).to.include({ dryRun: true, inserted: 3, rejected: 0 })
    expect(r.json.result.extra).to.include({ categoriesCreated: 3 })
    expect(await products(slug)).to.deep.equal([])
    expect((await query(`select count(*)::int as n from tenant_${slug}.categories`)).rows[0].n).to.equal(0)
  })

  it('reports every bad row with file:line, writes nothing, and writes an errors file that re-imports once fixed', async () => {
    const slug = await tenant()
    const bad = file('sku,name,weight,barcode\nOK-1,Fine,1,111\nBAD-1,Heavy,abc,222\nOK-1,Twice,1,333\nBAD-2,,1,444\nRAG-1,Ragged\nBAD-3,Dup barcode,1,111\n')
    const errors = path.join(dir, 'rejected.csv')
    const r = await imp(slug, bad, '--errors', errors)
    expect(r.code).to.equal(65)
    expect(r.json.error.kind).to.equal('INVALID_DATA')
    expect(r.json.error.data.rejected).to.equal(5)
    const lines = r.json.error.data.errors.map((e: { line: number }) => e.line)
    expect(lines).to.include.members([3, 4, 5, 6, 7])
    expect(r.json.error.message).to.contain(`${bad}:3: column "weight": "abc" is not a decimal number`)
    expect(await products(slug)).to.deep.equal([])
    const written = readFileSync(errors, 'utf8').trim().split('\n')
    expect(written[0]).to.equal('sku,name,weight,barcode,error')
    expect(written).to.have.length(6)
    expect(written.join('\n')).to.match(/BAD-1,Heavy,abc,222,.*weight/)
    expect(written.join('\n')).to.match(/OK-1,Twice,1,333,.*duplicate SKU in the file \(first on line 2\)/)

    const skip = await imp(slug, bad, '--skip-invalid')
    expect(skip.code).to.equal(1)
    expect(skip.json.result).to.include({ inserted: 1, rejected: 5 })
    expect((await products(slug)).map((p) => p.sku)).to.deep.equal(['OK-1'])

    const fixed = (parse(readFileSync(errors, 'utf8'), { relax_column_count: true }) as string[][]).slice(1).map((r) => r.slice(0, -1).join(','))
    const rewritten = ['sku,name,weight,barcode', 'BAD-1,Heavy,3,222', 'OK-2,Twice,1,333', 'BAD-2,Named,1,444', 'RAG-1,Ragged,1,555', 'BAD-3,Dup barcode,1,666']
    expect(fixed).to.have.members(['BAD-1,Heavy,abc,222', 'OK-1,Twice,1,333', 'BAD-2,,1,444', 'RAG-1,Ragged', 'BAD-3,Dup barcode,1,111'])
    const fixedFile = rewritten.join('\n') + '\n'
    const again = await imp(slug, file(fixedFile))
    expect(again.code, again.stdout).to.equal(0)
    expect(again.json.result).to.include({ inserted: 5, rejected: 0 })
    const withErrorColumn = await imp(slug, file(readFileSync(errors, 'utf8').replace('OK-1,Twice', 'OK-3,Twice')), '--skip-invalid', '--mode', 'upsert')
    expect(withErrorColumn.json.result.rows, 'the error column of an errors file is ignored').to.equal(5)
  })

  it('never echoes a cell\'s escape sequences to the terminal, nor a 100,000-character value in full', async () => {
    const slug = await tenant()
    const escapes = '\u001B]0;pwned\u0007\u001B[31m'
    const csi = '\u009B2J'
    const huge = 'x'.repeat(100_000)
    const hostile = file(`sku,name,barcode,tax_class\nA-1,Bolt,"${escapes}",standard\nA-2,Nut,"${csi}",standard\nA-3,Washer,4001,${huge}\n`)
    const ESC = '\u001B'
    const longest = (text: string) => Math.max(...text.split('\n').map((line) => line.length))

    const human = await runCli(['import', 'products', hostile, '--tenant', slug])
    expect(human.code).to.equal(65)
    const shown = human.stdout + human.stderr
    expect(shown).not.to.contain(ESC)
    expect(shown).not.to.contain('\u009B')
    expect(longest(shown)).to.be.at.most(500)
    // Shown, not obeyed: the operator sees what the cell holds, and where the long value was cut.
    expect(human.stderr).to.contain(`${hostile}:2: column "barcode": "\\x1b]0;pwned\\x07\\x1b[31m" is not a barcode`)
    expect(human.stderr).to.contain('"\\x9b2J" is not a barcode')
    expect(human.stderr).to.match(/column "tax_class": "x+…\[99,\d{3} characters left out\]…x+" is not a tax class/)

    const json = await imp(slug, hostile)
    expect(json.code).to.equal(65)
    expect(json.stdout + json.stderr).not.to.contain(ESC)
    expect(json.stdout).not.to.contain('\u009B')
    expect(longest(json.stdout)).to.be.at.most(1000)
    // Valid JSON, the short values exact (escaped by JSON), the long one cut.
    const errors = json.json.error.data.errors
    expect(errors.find((e: { line: number }) => e.line === 2).value).to.equal(escapes)
    expect(errors.find((e: { line: number }) => e.line === 3).value).to.equal(csi)
    expect(errors.find((e: { line: number }) => e.line === 4).value).to.have.length.below(500)
    expect(await products(slug)).to.deep.equal([])

    // The header is quoted in messages too.
    const header = await runCli(['import', 'products', file(`sku,name,"${escapes}${huge}"\nA,B,C\n`), '--tenant', slug])
    expect(header.code).to.equal(65)
    expect(header.stderr).to.contain('unknown column "\\x1b]0;pwned')
    expect(header.stdout + header.stderr).not.to.contain(ESC)
    expect(longest(header.stderr)).to.be.at.most(500)
  })

  it('refuses a header with unknown, duplicate or missing columns before reading rows; --map renames', async () => {
    const slug = await tenant()
    const unknown = await imp(slug, file('sku,name,colour\nA,B,red\n'))
    expect(unknown.code).to.equal(65)
    expect(unknown.json.error.message).to.match(/:1: the header does not fit products: unknown column "colour"/)
    const duplicate = await imp(slug, file('sku,Name,NAME\nA,B,C\n'))
    expect(duplicate.json.error.message).to.match(/columns "Name" and "NAME" are both name/)
    const missing = await imp(slug, file('name\nB\n'))
    expect(missing.json.error.message).to.match(/required column "sku" is missing/)
    const noName = await imp(slug, file('sku\nB\n'), '--mode', 'upsert')
    expect(noName.json.error.message).to.match(/required column "name" is missing/)
    const mapped = await imp(slug, file('Item Code;Product Name;Tax Class\nA-1;Thing;reduced\n'))
    expect(mapped.code, mapped.stdout).to.equal(0)
    const viaMap = await imp(slug, file('Ref,Label\nA-2,Other\n'), '--map', 'Ref=sku', '--map', 'label=name')
    expect(viaMap.code, viaMap.stdout).to.equal(0)
    expect(viaMap.json.result.delimiter).to.equal(',')
    expect((await products(slug)).map((p) => p.name)).to.deep.equal(['Thing', 'Other'])
  })

  it('reads BOM, CRLF, tabs and semicolons, Windows-1252 (detected, or refused as UTF-8), and stdin', async () => {
    const slug = await tenant()
    const bom = await imp(slug, file(Buffer.from('\uFEFFsku\tname\r\nT-1\t"Tab\tbed"\r\n')))
    expect(bom.code, bom.stdout).to.equal(0)
    expect(bom.json.result.delimiter).to.equal('\t')
    const latin = Buffer.concat([Buffer.from('sku;name\nL-1;Caf'), Buffer.from([0xe9]), Buffer.from(' cr'), Buffer.from([0xe8]), Buffer.from('me\n')])
    const wrong = await imp(slug, file(latin), '--encoding', 'utf8')
    expect(wrong.code).to.equal(65)
    expect(wrong.json.error.message).to.match(/:2: the file is not valid UTF-8/)
    expect(wrong.json.error.actions[0]).to.contain('--encoding windows-1252')
    const right = await imp(slug, file(latin))
    expect(right.code, right.stdout).to.equal(0)
    expect(right.json.result.encoding).to.equal('windows-1252')
    const stdin = await runCli(['import', 'products', '-', '--tenant', slug, '--json'], { input: 'sku,name\nS-1,From stdin\n' })
    expect(stdin.code, stdin.stdout).to.equal(0)
    expect(stdin.json.result.file).to.equal('stdin')
    expect((await products(slug)).map((p) => p.name)).to.deep.equal(['Café crème', 'From stdin', 'Tab\tbed'])
  })

  describe('malformed CSV: a clear error, exit 65 (66 for a missing file), nothing written', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['unterminated quote', 'sku,name\nA-1,"open\nA-2,x\n', /:2: a quoted field opened on this line \(or a later one\) is never closed/],
      ['empty file', '', /the file is empty/],
      ['header only', 'sku,name\n', /has a header but no rows/],
      ['duplicate header', 'sku,sku,name\nA,A,B\n', /columns "sku" and "sku" are both sku/],
      ['huge field', `sku,name,description\nA-1,x,"${'y'.repeat(1_100_000)}"\n`, /:2: a row is longer than 1,048,576 characters/],
      ['NUL bytes', 'sku,name\nA-1,bad\u0000name\n', /:2: column "name": contains a NUL byte/],
      ['ragged rows', 'sku,name\nA-1,x,extra\nA-2\n', /:2: has 3 field\(s\), the header has 2/],
      ['stray quote', 'sku,name\nA-1,ab"c"d\n', /:2/],
    ]
    for (const [name, content, message] of cases) {
      it(name, async () => {
        const slug = await tenant()
        const r = await imp(slug, file(content))
        expect(r.code, r.stdout).to.equal(65)
        expect(r.json.error.message).to.match(message)
        expect(await products(slug)).to.deep.equal([])
      })
    }

    it('a missing file exits 66', async () => {
      const slug = await tenant()
      const r = await imp(slug, path.join(dir, 'nope.csv'))
      expect(r.code).to.equal(66)
      expect(r.json.error.message).to.contain('File not found')
    })
  })

  it('names the line a row starts on, counting blank lines and newlines inside quotes', async () => {
    const slug = await tenant()
    const r = await imp(slug, file('sku,name,description\r\n\r\nA-1,x,"two\r\nlines"\r\n\r\nA-2,,\r\nA-3,"y\n\n\nz",\r\nA-4,w,bad\u0000\r\n'))
    expect(r.code).to.equal(65)
    expect(r.json.error.data.errors.map((e: { line: number; column: string }) => [e.line, e.column])).to.deep.equal([[6, 'name'], [11, 'description']])
  })

  it('--no-create-categories rejects unknown paths', async () => {
    const slug = await tenant()
    const r = await imp(slug, file('sku,name,category\nA-1,x,Nowhere/Else\n'), '--no-create-categories')
    expect(r.code).to.equal(65)
    expect(r.json.error.message).to.match(/column "category": unknown category/)
  })

  it('export → import round trip: attributes, prices, formula guard, nothing changes', async () => {
    const slug = await tenant()
    for (const args of [
      ['attributes', 'create', 'color', '--type', 'enum', '--values', 'red,blue'],
      ['attributes', 'create', 'length_mm', '--type', 'number'],
      ['attributes', 'create', 'note', '--type', 'text'],
      ['price-lists', 'create', '--code', 'RETAIL', '--currency', 'EUR', '--default'],
    ]) {
      const r = await runCli([...args, '--tenant', slug, '--json'])
      expect(r.code, r.stdout).to.equal(0)
    }
    const csv = 'sku,name,description,category,price,attr:color,attr:length_mm,attr:note,weight,active\n' +
      'R-1,"=HYPERLINK(""x"")","line1\nline2",A/B,12.50,red,12.5,+1 call,0.5,yes\n' +
      "R-2,'=already quoted,,,,blue,,@home,,no\n"
    const first = await imp(slug, file(csv))
    expect(first.code, first.stdout).to.equal(0)
    expect(first.json.result.extra).to.include({ pricesSet: 1 })
    const rows = await products(slug)
    expect(rows[0]).to.include({ name: '=HYPERLINK("x")', description: 'line1\nline2', category: 'A/B', weight: '0.500', active: true })
    expect(rows[0].attributes).to.deep.equal({ color: 'red', length_mm: 12.5, note: '+1 call' })
    expect(rows[1]).to.include({ name: '=already quoted', active: false })
    await query(`update tenant_${slug}.products set description = '''=starts with a quote' where sku = 'R-2'`)
    rows[1].description = "'=starts with a quote"

    const out = path.join(dir, 'export.csv')
    const exported = await runCli(['export', 'products', '--tenant', slug, '--output', out, '--json'])
    expect(exported.code, exported.stdout).to.equal(0)
    expect(exported.json.result.rows).to.equal(2)
    const text = readFileSync(out, 'utf8')
    expect(text.split('\n')[0]).to.equal('sku,name,description,category,uom,barcode,weight,tax_class,active,tracking,cost,price,attr:color,attr:length_mm,attr:note')
    expect(text).to.contain(`"'=HYPERLINK(""x"")"`)
    expect(text).to.contain("'=already quoted")
    expect(text).to.contain("''=starts with a quote")
    expect(text).to.contain("'+1 call")
    // Booleans as JSON and tables spell them (true/false), not COPY's t/f.
    expect((parse(text, { columns: true }) as Array<{ active: string }>).map((r) => r.active)).to.deep.equal(['true', 'false'])

    const back = await imp(slug, out, '--mode', 'upsert')
    expect(back.code, back.stdout).to.equal(0)
    expect(back.json.result).to.include({ inserted: 0, updated: 0, unchanged: 2 })
    expect(back.json.result.extra).to.include({ pricesSet: 0 })
    expect(await products(slug)).to.deep.equal(rows)

    const other = await tenant()
    await runCli(['attributes', 'create', 'color', '--type', 'enum', '--values', 'red,blue', '--tenant', other])
    await runCli(['attributes', 'create', 'length_mm', '--type', 'number', '--tenant', other])
    await runCli(['attributes', 'create', 'note', '--type', 'text', '--tenant', other])
    await runCli(['price-lists', 'create', '--code', 'RETAIL', '--currency', 'EUR', '--default', '--tenant', other])
    const copy = await imp(other, out)
    expect(copy.code, copy.stdout).to.equal(0)
    expect(await products(other)).to.deep.equal(rows)
    const reexport = path.join(dir, 'export2.csv')
    await runCli(['export', 'products', '--tenant', other, '--output', reexport])
    expect(readFileSync(reexport, 'utf8')).to.equal(text)
  })

  it('kill -9 in the middle of a large import leaves the tenant as it was', async function () {
    this.timeout(180_000)
    const slug = await tenant()
    await imp(slug, file('sku,name\nKEEP-1,Kept\n'))
    const big = path.join(dir, 'big.csv')
    const lines = ['sku,name,description,category']
    for (let i = 0; i < 200_000; i++) lines.push(`K-${i},"Item ${i}, large",Some description ${i},Big/Cat ${i % 10}`)
    writeFileSync(big, `${lines.join('\n')}\n`)
    const child = spawnCli(['import', 'products', big, '--tenant', slug])
    const exited = new Promise((resolve) => child.on('close', resolve))
    // Wait until the rows are streaming into the staging table, then kill.
    for (let i = 0; i < 600; i++) {
      const { rows } = await query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'copy "erp_stage_import_rows_%'`)
      if (rows[0].n > 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGKILL')
    await exited
    // The server notices the dropped connection and rolls back.
    for (let i = 0; i < 100; i++) {
      const { rows } = await query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'copy "erp_stage_import_rows_%'`)
      if (rows[0].n === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await products(slug)).map((p) => p.sku)).to.deep.equal(['KEEP-1'])
    expect((await query(`select count(*)::int as n from tenant_${slug}.categories`)).rows[0].n).to.equal(0)
    // The staging tables lived and died in the killed transaction: none is left in the schema.
    const staged = await query(`select count(*)::int as n from pg_class where relnamespace = $1::regnamespace and relname like 'erp\\_stage\\_%'`, [`tenant_${slug}`])
    expect(staged.rows[0].n).to.equal(0)
  })
})
