import { expect } from 'chai'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { ods, readSheet } from '../../helpers/workbook.js'

const dir = mkdtempSync(path.join(tmpdir(), 'erp-ods-reader-'))
let n = 0
const out = () => path.join(dir, `o${n++}.ods`)

const s = (text: string) => `<table:table-cell office:value-type="string"><text:p>${text}</text:p></table:table-cell>`
const row = (...cells: string[]) => `<table:table-row>${cells.join('')}</table:table-row>`
const table = (name: string, ...rows: string[]) => `<table:table table:name="${name}">${rows.join('')}</table:table>`
/** What Calc writes after the last filled cell and row: repeats to the sheet's end. */
const CALC_PADDING = '<table:table-cell table:number-columns-repeated="1017"/>'
const CALC_TRAILING_ROWS = '<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'

describe('ods reader', () => {
  it('counts Calc\'s repeated empty cells and rows without expanding them, and writes out repeated filled ones', async () => {
    const file = await ods(out(), table('Stock',
      row(s('sku'), s('qty'), s('bin'), CALC_PADDING),
      row(s('A-1'), '<table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>', '<table:table-cell table:number-columns-repeated="1022"/>'),
      '<table:table-row table:number-rows-repeated="2">' + s('B-1') + '<table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell>' + CALC_PADDING + '</table:table-row>',
      '<table:table-row table:number-rows-repeated="5"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>',
      row('<table:table-cell table:number-columns-repeated="2"/>', s('far')),
      CALC_TRAILING_ROWS,
    ))
    const read = await readSheet(file)
    expect(read.sheet).to.equal('Stock')
    expect(read.rows).to.deep.equal([
      [1, ['sku', 'qty', 'bin']],
      [2, ['A-1', '3', '']],
      [3, ['B-1', '7', '7']],
      [4, ['B-1', '7', '7']],
      [10, ['', '', 'far']],
    ])
  })

  it('reads each value type: float, percentage, currency, date, time, boolean, and text with its spaces, tabs, breaks and paragraphs', async () => {
    const cell = (attrs: string, text = '') => `<table:table-cell ${attrs}><text:p>${text}</text:p></table:table-cell>`
    const file = await ods(out(), table('T',
      row(...['f', 'pct', 'cur', 'date', 'datetime', 'time', 'bool', 'text', 'multi', 'noted'].map(s)),
      row(
        cell('office:value-type="float" office:value="1234.5"', '1.234,50'),
        cell('office:value-type="percentage" office:value="0.15"', '15 %'),
        cell('office:value-type="currency" office:currency="EUR" office:value="-12.3"', '-12,30 €'),
        cell('office:value-type="date" office:date-value="2024-02-29"', '29.02.24'),
        cell('office:value-type="date" office:date-value="2024-02-29T23:59:58"', 'x'),
        cell('office:value-type="time" office:time-value="PT36H05M09S"', '36:05:09'),
        cell('office:value-type="boolean" office:boolean-value="false"', 'FALSE'),
        cell('office:value-type="string"', '<text:s/>a<text:s text:c="3"/>b<text:tab/>c<text:line-break/>d <text:span text:style-name="T1">bold</text:span> <text:a xlink:href="https://example.com">link</text:a>'),
        '<table:table-cell office:value-type="string"><text:p>first</text:p><text:p/><text:p>third</text:p></table:table-cell>',
        '<table:table-cell office:value-type="string"><office:annotation><dc:creator>me</dc:creator><text:p>a comment</text:p></office:annotation><text:p>value</text:p></table:table-cell>',
      ),
    ).replace('<table:table ', '<table:table xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" '))
    expect((await readSheet(file)).rows[1][1]).to.deep.equal([
      '1234.5', '0.15', '-12.3', '2024-02-29', '2024-02-29T23:59:58', '36:05:09', 'false', ' a   b\tc\nd bold link', 'first\n\nthird', 'value',
    ])
  })

  it('marks formula errors as errors of their cell', async () => {
    const file = await ods(out(), table('E', row(s('a'), s('b')), row(s('x'), '<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')))
    expect((await readSheet(file)).rows[1]).to.deep.equal([2, ['x', '#DIV/0!'], [[1, 'the cell holds the spreadsheet error #DIV/0!, not a value']]])
  })

  it('chooses the sheet by name or position, and skips the others (sub-tables in cells too)', async () => {
    const file = await ods(out(), table('One', row(s('a'))) + table('Two', row(s('b')), row(s('<table:table table:name="Inner"/>inner'))) + table('3', row(s('c'))))
    expect((await readSheet(file, 'two')).rows).to.deep.equal([[1, ['b']], [2, ['inner']]])
    expect((await readSheet(file, '2')).sheet).to.equal('Two')
    // A sheet named like a number is found by its name first.
    expect((await readSheet(file, '3')).sheet).to.equal('3')
    const err = await readSheet(file, 'Inner').then(() => undefined, (e) => e)
    expect(err.kind).to.equal('USAGE')
    expect(err.message).to.equal(`${file} has no sheet "Inner"; its sheets: 1 "One", 2 "Two", 3 "3"`)
  })

  it('refuses what is an attack: a DOCTYPE, a filled cell far past the header, rows past the sheet', async () => {
    const doctype = await ods(out(), table('S', row(s('&lol;'))), { prolog: '<!DOCTYPE x [<!ENTITY lol "lol">]>' })
    expect((await readSheet(doctype).then(() => undefined, (e) => e)).message).to.contain('(content.xml): the part declares a document type (DOCTYPE)')
    const far = await ods(out(), table('S', row(s('a')), row('<table:table-cell table:number-columns-repeated="5000"/>', s('x'))))
    expect((await readSheet(far).then(() => undefined, (e) => e)).message).to.contain('[S]:2: a cell in column GJI, far past the header\'s 1 column(s)')
    const wide = await ods(out(), table('S', row('<table:table-cell table:number-columns-repeated="2000000000" office:value-type="float" office:value="1"/>')))
    expect((await readSheet(wide).then(() => undefined, (e) => e)).message).to.contain('[S]:1: cell column 16385 is outside the sheet')
    const tall = await ods(out(), table('S', row(s('a')), `<table:table-row table:number-rows-repeated="2000000">${s('x')}</table:table-row>`))
    expect((await readSheet(tall).then(() => undefined, (e) => e)).message).to.contain('row number 2000001 is outside the sheet')
  })
})
