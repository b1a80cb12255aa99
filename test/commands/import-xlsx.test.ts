import { expect } from 'chai'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { failedWithMessage, okResult, runCli, runProcess, cliTenant } from '../helpers/cli.js'
import { adminQuery as query } from '../helpers/database.js'
import { inlineRow, lieAboutSize, xlsx } from '../helpers/workbook.js'

/**
 * erp import of workbooks, end to end: LibreOffice's catalog (test/fixtures/workbooks, made from
 * catalog.fods) in .xlsx and .ods, through bin/run.js for the main paths.
 */
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workbooks')
const dir = mkdtempSync(path.join(tmpdir(), 'erp-import-xlsx-'))
/** A copy under a short name, so messages read as the operator would see them. */
function book(format: 'xlsx' | 'ods'): string {
  const file = path.join(dir, `catalog.${format}`)
  copyFileSync(path.join(fixtures, `catalog.${format}`), file)
  return file
}

const tenant = () => cliTenant('impx')

const products = (slug: string) =>
  query(`select p.sku, p.name, p.description, p.weight::text, p.active, p.barcode, i.price::text from tenant_${slug}.products p
         left join tenant_${slug}.price_list_items i on i.product_id = p.id and i.min_qty = 0 order by p.sku`).then((r) => r.rows)
const prices = (slug: string) =>
  query(`select p.sku, i.min_qty::text, i.valid_from::text, i.price::text from tenant_${slug}.price_list_items i
         join tenant_${slug}.products p on p.id = i.product_id where i.min_qty > 0 order by 1`).then((r) => r.rows)

describe('erp import from workbooks (.xlsx, .ods)', () => {
  for (const format of ['xlsx', 'ods'] as const) {
    it(`imports two sheets of catalog.${format}: the first by default, the second by name and by number (bin/run.js)`, async () => {
      const slug = await tenant()
      const file = book(format)
      const first = okResult(await runProcess(['import', 'products', file, '--tenant', slug, '--json']))
      expect(first).to.include({ file, format, sheet: 'Products', rows: 3, inserted: 3, rejected: 0 })
      expect(first.sha256).to.match(/^[0-9a-f]{64}$/)
      expect(await products(slug)).to.deep.equal([
        { sku: 'SKU-1', name: 'Hex bolt M8', description: 'Zinc-plated, grade 8.8\npack of 50', weight: '0.012', active: true, barcode: '4006381333931', price: '0.2500' },
        { sku: 'SKU-2', name: 'Washer  M8', description: null, weight: '1200.000', active: false, barcode: null, price: '0.1000' },
        { sku: 'SKU-3', name: 'Nut M8 – “DIN 934”', description: null, weight: '2.500', active: true, barcode: null, price: null },
      ])
      const audit = await query(`select args from erp.audit_log where tenant = $1 and command like 'import%products'`, [slug])
      expect(audit.rows.map((r) => r.args.sha256)).to.deep.equal([first.sha256])

      const byName = okResult(await runProcess(['import', 'price-list-items', file, '--sheet', 'Prices', '--map', 'changed=-', '--tenant', slug, '--json']))
      expect(byName).to.include({ sheet: 'Prices', rows: 2, inserted: 2 })
      expect(await prices(slug)).to.deep.equal([
        { sku: 'SKU-1', min_qty: '10.0000', valid_from: '2024-03-01', price: '0.2000' },
        { sku: 'SKU-2', min_qty: '100.0000', valid_from: '2023-12-31', price: '0.0500' },
      ])
      const byNumber = okResult(await runProcess(['import', 'price-list-items', file, '--sheet', '2', '--map', 'changed=-', '--mode', 'upsert', '--tenant', slug, '--json']))
      expect(byNumber).to.include({ sheet: 'Prices', rows: 2, inserted: 0, updated: 0, unchanged: 2 })
      // The summary on a terminal names the sheet.
      const text = await runProcess(['import', 'price-list-items', file, '--sheet', 'prices', '--map', 'changed=-', '--mode', 'upsert', '--dry-run', '--tenant', slug])
      expect(text.code, text.stderr).to.equal(0)
      expect(text.stdout).to.match(/^sheet: +Prices$/m)
    })
  }

  it('names the file, the sheet, the row and the column of each bad cell, #N/A included, and writes the errors file as CSV', async () => {
    const slug = await tenant()
    const file = book('xlsx')
    const errors = path.join(dir, 'rejected.csv')
    const r = await runProcess(['import', 'products', file, '--sheet', 'Broken', '--map', 'note=-', '--errors', errors, '--tenant', slug, '--json'])
    const error = failedWithMessage(r, 65, /2 row\(s\) of .*catalog\.xlsx \[Broken\] are invalid; nothing was imported/)
    expect(error.message).to.contain(`${file} [Broken]:3: column "price": `)
    expect(error.message).to.contain(`${file} [Broken]:4: column "price": the cell holds the spreadsheet error #N/A, not a value`)
    // The #DIV/0! is in a column the mapping leaves out: no problem of the row's.
    expect(error.message).to.not.contain('#DIV/0!')
    // The rows as read, the column the mapping leaves out included, as CSV.
    expect(readFileSync(errors, 'utf8')).to.equal(
      'sku,name,price,note,error\n' +
      'SKU-8,Price is text,abc,,"price: ""abc"" is not a decimal number (write it like 12.5)"\n' +
      'SKU-9,Price not found,#N/A,#DIV/0!,"price: the cell holds the spreadsheet error #N/A, not a value"\n')
    expect((await products(slug)).length).to.equal(0)
    // --skip-invalid imports the one good row.
    const skipped = await runProcess(['import', 'products', book('ods'), '--sheet', '3', '--map', 'note=-', '--skip-invalid', '--tenant', slug, '--json'])
    expect(skipped.code).to.equal(1)
    expect(skipped.json.result).to.include({ format: 'ods', sheet: 'Broken', rows: 3, inserted: 1, rejected: 2 })
  })

  it('writes rows the database checks reject as the sheet holds them when the mapping changes cells (the sheet read again)', async () => {
    const slug = await tenant()
    const file = await xlsx(path.join(dir, 'twice.xlsx'), {
      sheets: [{ name: 'Other', rows: inlineRow(1, ['x']) }, {
        name: 'Items',
        rows: inlineRow(1, ['sku', 'name', 'Discontinued']) + inlineRow(2, ['D-1', 'One', 'false']) + inlineRow(4, ['D-1', 'Again', 'true']) + inlineRow(5, ['D-2', 'Two', 'true']),
      }],
    })
    const errors = path.join(dir, 'twice-rejected.csv')
    const r = await runCli(['import', 'products', file, '--sheet', 'Items', '--map', 'Discontinued=!active', '--errors', errors, '--tenant', slug, '--json'])
    failedWithMessage(r, 65, /twice\.xlsx \[Items\]:4: column "sku": duplicate SKU in the file \(first on line 2\)/)
    const lines = readFileSync(errors, 'utf8').trim().split('\n')
    // Discontinued as the sheet says (not the inverted active the staging table holds).
    expect(lines.map((l) => l.split(',').slice(0, 3).join(','))).to.deep.equal(['sku,name,Discontinued', 'D-1,Again,true'])
    expect((await products(slug)).length).to.equal(0)
  })

  it('refuses an unknown sheet, --sheet on a CSV, CSV flags on a workbook, and a workbook on stdin: usage errors, nothing written', async () => {
    const slug = await tenant()
    for (const format of ['xlsx', 'ods'] as const) {
      const file = book(format)
      const unknown = await runCli(['import', 'products', file, '--sheet', 'Customers', '--tenant', slug, '--json'])
      const error = failedWithMessage(unknown, 2, /has no sheet "Customers"; its sheets: 1 "Products", 2 "Prices", 3 "Broken"/)
      expect(error.data.sheets).to.deep.equal(['Products', 'Prices', 'Broken'])
      failedWithMessage(await runCli(['import', 'products', file, '--encoding', 'windows-1252', '--tenant', slug, '--json']), 2, /--encoding is for CSV files; .* is a workbook/)
      failedWithMessage(await runCli(['import', 'products', file, '--delimiter', ';', '--tenant', slug, '--json']), 2, /--delimiter is for CSV files/)
    }
    const csv = path.join(dir, 'plain.csv')
    writeFileSync(csv, 'sku,name\nA-1,One\n')
    failedWithMessage(await runCli(['import', 'products', csv, '--sheet', '1', '--tenant', slug, '--json']), 2, /--sheet is for workbooks \(\.xlsx, \.ods\); .*plain\.csv is read as CSV/)
    const piped = await runProcess(['import', 'products', '-', '--tenant', slug, '--json'], { input: readFileSync(book('xlsx')) as never })
    failedWithMessage(piped, 2, /stdin holds a zip \(an Excel or OpenDocument workbook\?\), which erp reads only from a file/)
    failedWithMessage(await runCli(['import', 'products', path.join(dir, 'template.xlsx'), '--template', '--tenant', slug, '--json']), 2, /--template writes a CSV file, not a workbook/)
    const renamed = path.join(dir, 'products.xlsx')
    writeFileSync(renamed, 'sku,name\nA-1,One\n')
    failedWithMessage(await runCli(['import', 'products', renamed, '--tenant', slug, '--json']), 65, /products\.xlsx is named \.xlsx but is not a workbook .*a CSV\?/)
    expect((await products(slug)).length).to.equal(0)
  })

  it('refuses hostile workbooks (and an empty sheet) with a clear error and changes nothing in the tenant', async () => {
    const slug = await tenant()
    const header = inlineRow(1, ['sku', 'name'])
    const bomb = await xlsx(path.join(dir, 'bomb.xlsx'), { sheets: [{ name: 'S', rows: header + inlineRow(2, ['B-1', 'x']) + ' '.repeat(20 << 20) }] })
    const lying = await xlsx(path.join(dir, 'lying.xlsx'), { sheets: [{ name: 'S', rows: header + inlineRow(2, ['B-1', 'x']) }] })
    lieAboutSize(lying, 'xl/worksheets/sheet1.xml', 20)
    const entities = await xlsx(path.join(dir, 'entities.xlsx'), {
      sheets: [{ name: 'S', rows: '' }],
      parts: [{ name: 'xl/worksheets/sheet1.xml', data: `<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet><sheetData>${header}<row r="2"><c r="A2" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>` }],
    })
    const outOfRange = await xlsx(path.join(dir, 'sst.xlsx'), { sharedStrings: ['<t>B-1</t>'], sheets: [{ name: 'S', rows: `${header}<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>7</v></c></row>` }] })
    const far = await xlsx(path.join(dir, 'far.xlsx'), { sheets: [{ name: 'S', rows: `${header}${inlineRow(2, ['B-1', 'x'])}<row r="3"><c r="XFD3"><v>1</v></c></row>` }] })
    const empty = await xlsx(path.join(dir, 'empty.xlsx'), { sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" s="0"/></row>' }] })
    const cases: [string, RegExp][] = [
      [empty, /empty\.xlsx \[S\]: the sheet is empty \(expected a header row/],
      [bomb, /bomb\.xlsx: the part xl\/worksheets\/sheet1\.xml unpacks to [\d,]+ bytes from [\d,]+ \(a zip bomb/],
      [lying, /lying\.xlsx \(xl\/worksheets\/sheet1\.xml\): the workbook's zip container is damaged/],
      [entities, /entities\.xlsx \[S\]: the part declares a document type \(DOCTYPE\)/],
      [outOfRange, /sst\.xlsx \[S\]:2: cell B2 refers to shared string "7", but the table has 1/],
      [far, /far\.xlsx \[S\]:3: a cell in column XFD, far past the header's 2 column\(s\)/],
    ]
    for (const [file, message] of cases) failedWithMessage(await runCli(['import', 'products', file, '--tenant', slug, '--json']), 65, message)
    expect((await products(slug)).length).to.equal(0)
  })
})
