import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { inlineRow, readSheet, xlsx } from '../../helpers/workbook.js'
import { columnOf, customDateKind, numberText, serialDateText } from '../../../src/lib/workbook/cells.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'workbooks')
const dir = mkdtempSync(path.join(tmpdir(), 'erp-xlsx-reader-'))
let n = 0
const out = () => path.join(dir, `w${n++}.xlsx`)

/** What LibreOffice's catalog.fods holds, sheet by sheet, as both its .xlsx and .ods say. */
const CATALOG: Record<string, unknown[][]> = {
  Products: [
    [1, ['sku', 'name', 'description', 'price', 'weight', 'active', 'barcode']],
    [2, ['SKU-1', 'Hex bolt M8', 'Zinc-plated, grade 8.8\npack of 50', '0.25', '0.012', 'true', '4006381333931']],
    [3, ['SKU-2', 'Washer  M8', '', '0.1', '1200', 'false', '']],
    // Rows 4 and 5 are empty (left out, as a CSV's blank lines are); the row keeps its number.
    [6, ['SKU-3', 'Nut M8 – “DIN 934”', '', '', '2.5', '', '']],
  ],
  Prices: [
    [1, ['price_list', 'sku', 'min_qty', 'valid_from', 'price', 'changed']],
    [2, ['DEFAULT', 'SKU-1', '10', '2024-03-01', '0.2', '2024-02-15T09:30:00']],
    [3, ['DEFAULT', 'SKU-2', '100', '2023-12-31', '0.05', '']],
  ],
  Broken: [
    [1, ['sku', 'name', 'price', 'note']],
    [2, ['SKU-7', 'Fine row', '1.5', '']],
    [3, ['SKU-8', 'Price is text', 'abc', '']],
    [4, ['SKU-9', 'Price not found', '#N/A', '#DIV/0!'], [
      [2, 'the cell holds the spreadsheet error #N/A, not a value'],
      [3, 'the cell holds the spreadsheet error #DIV/0!, not a value'],
    ]],
  ],
}

describe('workbook reader: LibreOffice\'s files', () => {
  for (const format of ['xlsx', 'ods']) {
    it(`reads every sheet of catalog.${format} by name and by position, the first by default`, async () => {
      const file = path.join(fixtures, `catalog.${format}`)
      const first = await readSheet(file)
      expect(first.sheet).to.equal('Products')
      expect(first.name).to.equal(`${file} [Products]`)
      expect(first.format).to.equal(format)
      expect(first.rows).to.deep.equal(CATALOG.Products)
      expect(first.sha256).to.equal(createHash('sha256').update(readFileSync(file)).digest('hex'))
      expect(first.bytes).to.equal(first.size)
      for (const [i, name] of Object.keys(CATALOG).entries()) {
        expect((await readSheet(file, name)).rows, name).to.deep.equal(CATALOG[name])
        expect((await readSheet(file, name.toUpperCase())).sheet, name).to.equal(name)
        const byIndex = await readSheet(file, String(i + 1))
        expect([byIndex.sheet, byIndex.rows]).to.deep.equal([name, CATALOG[name]])
      }
    })

    it(`refuses an unknown sheet of catalog.${format} with a usage error listing the sheets`, async () => {
      for (const asked of ['Customers', '4', '0']) {
        const err = await readSheet(path.join(fixtures, `catalog.${format}`), asked).then(() => undefined, (e) => e)
        expect(err?.kind, asked).to.equal('USAGE')
        expect(err.message).to.contain(`has no sheet "${asked}"; its sheets: 1 "Products", 2 "Prices", 3 "Broken"`)
      }
    })
  }
})

describe('xlsx reader: cells', () => {
  it('reads shared, inline, rich-text, formula, boolean, error and ISO date cells; sparse cells by their reference', async () => {
    const file = await xlsx(out(), {
      sharedStrings: ['<t>code</t>', '<t xml:space="preserve">  spaced  </t>', '<r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> and plain</t></r><rPh sb="0" eb="1"><t>フリガナ</t></rPh>', '<t>line_x000D_\nbreak</t>', '<t/>'],
      sheets: [{
        name: 'Data',
        rows: '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>b</t></is></c><c r="C1" t="inlineStr"><is><t>c</t></is></c><c r="E1" t="inlineStr"><is><t>e</t></is></c></row>' +
          // No r on the row or its cells: the next row, the next column.
          '<row><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="str"><f>A1&amp;"!"</f><v>code!</v></c><c t="b"><v>1</v></c><c t="b"><v>0</v></c></row>' +
          '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="C3" t="e"><v>#REF!</v></c><c r="D3" t="d"><v>2024-05-06T07:08:09</v></c><c r="E3" t="s"><v>4</v></c></row>' +
          // Cells with no value, a row of nothing: left out.
          '<row r="5"><c r="A5" s="0"/><c r="B5"><v></v></c></row>',
      }],
    })
    expect((await readSheet(file)).rows).to.deep.equal([
      [1, ['code', 'b', 'c', '', 'e']],
      [2, ['  spaced  ', 'bold and plain', 'code!', 'true', 'false']],
      [3, ['line\r\nbreak', '', '#REF!', '2024-05-06T07:08:09', ''], [[2, 'the cell holds the spreadsheet error #REF!, not a value']]],
    ])
  })

  it('writes numbers in their shortest round-trip form, never with an exponent', async () => {
    const values = ['12', '12.0', '-0', '0.1', '0.30000000000000004', '1E-7', '1.5E+20', '1e21', '4006381333931', '-12.5', '123456789012345680000']
    const file = await xlsx(out(), {
      sheets: [{ name: 'N', rows: inlineRow(1, ['v']) + values.map((v, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${v}</v></c></row>`).join('') }],
    })
    expect((await readSheet(file)).rows.slice(1).map((r) => (r[1] as string[])[0])).to.deep.equal(
      ['12', '12', '0', '0.1', '0.30000000000000004', '0.0000001', '150000000000000000000', '1000000000000000000000', '4006381333931', '-12.5', '123456789012345680000'])
    expect(numberText('x')).to.equal(undefined)
    expect(numberText('Infinity')).to.equal(undefined)
  })

  it('reads dates by the cell style\'s number format, built-in or custom, in the 1900 and 1904 systems', async () => {
    const styles = { numFmts: { 164: 'dd/mm/yyyy', 165: '"Day "0', 166: '[$-409]d-mmm-yy;@', 167: 'hh:mm:ss', 168: '[Red]0.00', 169: 'yyyy-mm-dd hh:mm', 170: '0.00\\ \\d' }, cellStyles: [0, 14, 22, 164, 165, 166, 167, 168, 169, 170, 47] }
    const cells = (serial: string) => styles.cellStyles.map((_, s) => `<c r="${String.fromCharCode(65 + s)}2" s="${s}"><v>${serial}</v></c>`).join('')
    const header = inlineRow(1, styles.cellStyles.map((_, i) => `c${i}`))
    const file1900 = await xlsx(out(), { ...styles, sheets: [{ name: 'D', rows: `${header}<row r="2">${cells('45352.75')}</row>` }] })
    expect((await readSheet(file1900)).rows[1][1]).to.deep.equal([
      '45352.75', '2024-03-01', '2024-03-01T18:00:00', '2024-03-01', '45352.75', '2024-03-01', '18:00:00', '45352.75', '2024-03-01T18:00:00', '45352.75', '18:00:00',
    ])
    const file1904 = await xlsx(out(), { ...styles, date1904: true, sheets: [{ name: 'D', rows: `${header}<row r="2">${cells('0')}</row>` }] })
    expect((await readSheet(file1904)).rows[1][1]).to.deep.equal(['0', '1904-01-01', '1904-01-01T00:00:00', '1904-01-01', '0', '1904-01-01', '00:00:00', '0', '1904-01-01T00:00:00', '0', '00:00:00'])
    // Excel's 1900 system counts the fictitious 29 February 1900 (serial 60).
    expect(['1', '59', '61'].map((s) => serialDateText(s, 'date', false))).to.deep.equal(['1900-01-01', '1900-02-28', '1900-03-01'])
    expect(serialDateText('-1', 'date', false)).to.equal(undefined)
    expect(['General', '0.00%', '#,##0 "€"', '"yyyy"0', 'mmm', 'h:mm AM/PM', '[h]:mm'].map(customDateKind)).to.deep.equal([undefined, undefined, undefined, undefined, 'date', 'time', 'time'])
  })

  it('reads SpreadsheetML written with a namespace prefix (x:c), and the first visible sheet by default', async () => {
    const file = await xlsx(out(), {
      sheets: [{ name: 'Hidden', state: 'hidden', rows: inlineRow(1, ['h']) }, { name: 'Shown', rows: inlineRow(1, ['s']) }],
      parts: [{
        name: 'xl/worksheets/sheet2.xml',
        data: '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>prefixed</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>',
      }],
    })
    const read = await readSheet(file)
    expect([read.sheet, read.rows]).to.deep.equal(['Shown', [[1, ['prefixed']]]])
    expect((await readSheet(file, 'Hidden')).rows).to.deep.equal([[1, ['h']]])
  })

  it('fills a row shorter than the header up to it, and keeps a longer one long (the importer rejects it)', async () => {
    const file = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a', 'b', 'c']) + inlineRow(2, ['1']) + inlineRow(3, ['1', '2', '3', '4']) }] })
    expect((await readSheet(file)).rows).to.deep.equal([[1, ['a', 'b', 'c']], [2, ['1', '', '']], [3, ['1', '2', '3', '4']]])
  })

  it('reads column references up to XFD', () => {
    expect(['A1', 'Z9', 'AA1', 'XFD1048576', 'XFE1', 'AAAA1', '1', ''].map(columnOf)).to.deep.equal([1, 26, 27, 16384, 0, 0, 0, 0])
  })
})

describe('numberText', () => {
  it('keeps canonical text as is and writes everything else as String(Number) would, without an exponent', () => {
    const cases = ['0', '1', '-1', '0.5', '123456789012345', '0.000000000001', '-0.25', '999999999999999', '1.23456789012345', '1234567890123456', '0.10', '007', '1.0', '-0', '1.5e3', '.5', '5.', '+3', '0.1234567890123456789']
    for (const value of cases) {
      const n = Number(value)
      const expected = Object.is(n, -0) ? '0' : String(n).includes('e') ? undefined : String(n)
      const got = numberText(value)
      if (expected !== undefined) expect(got, value).to.equal(expected)
      else expect(Number(got), value).to.equal(n)
      expect(got, value).to.not.match(/e/i)
    }
  })
})
