import { expect } from 'chai'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { inlineRow, lieAboutSize, readSheet, writeZip, xlsx } from '../../helpers/workbook.js'

/** The workbook is the attacker's: each of these is a clear error before a row reaches the importer. */
const dir = mkdtempSync(path.join(tmpdir(), 'erp-xlsx-attacks-'))
let n = 0
const out = (ext = 'xlsx') => path.join(dir, `a${n++}.${ext}`)

async function refusal(file: string, sheet?: string): Promise<{ kind: string; message: string }> {
  const err = await readSheet(file, sheet).then(() => undefined, (e: unknown) => e as { kind: string; message: string })
  expect(err, 'the workbook was read').to.not.equal(undefined)
  return err!
}

const LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'

describe('xlsx reader: hostile workbooks', () => {
  it('refuses a document type declaration anywhere: entity expansion ("billion laughs") and external entities', async () => {
    const laughs = await xlsx(out(), {
      sharedStringsXml: `<?xml version="1.0"?>${LAUGHS}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>`,
      sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' }],
    })
    const err = await refusal(laughs)
    expect(err.kind).to.equal('INVALID_DATA')
    expect(err.message).to.contain('sharedStrings.xml): the part declares a document type (DOCTYPE)')
    const external = await xlsx(out(), {
      sheets: [{ name: 'S', rows: '' }],
      parts: [{ name: 'xl/worksheets/sheet1.xml', data: '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>' }],
    })
    expect((await refusal(external)).message).to.contain('[S]: the part declares a document type')
    const inWorkbook = await xlsx(out(), {
      sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }],
      parts: [{ name: 'xl/workbook.xml', data: `<?xml version="1.0"?>${LAUGHS}<workbook><sheets><sheet name="&lol3;" sheetId="1" r:id="rId10"/></sheets></workbook>` }],
    })
    expect((await refusal(inWorkbook)).message).to.contain('workbook.xml): the part declares a document type')
    // An entity no DOCTYPE declares is no XML at all.
    const undeclared = await xlsx(out(), { sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>' }] })
    expect((await refusal(undeclared)).message).to.match(/\[S\]: the part is not well-formed XML \(.*undefined entity/i)
  })

  it('refuses a zip bomb before inflating it: a part packed beyond any spreadsheet, or larger than erp reads', async function () {
    this.timeout(60_000)
    const bomb = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) + ' '.repeat(40 << 20) }] })
    const err = await refusal(bomb)
    expect(err.kind).to.equal('INVALID_DATA')
    expect(err.message).to.match(/the part xl\/worksheets\/sheet1\.xml unpacks to 41,943,\d+ bytes from [\d,]+ \(a zip bomb, or larger than erp reads/)
    // A part read whole (styles) is capped at 16 MiB whatever it packs to.
    const styles = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }], parts: [{ name: 'xl/styles.xml', data: `<styleSheet>${Array.from({ length: 1_200_000 }, (_, i) => `<x i="${i}"/>`).join('')}</styleSheet>` }] })
    expect((await refusal(styles)).message).to.match(/the part xl\/styles\.xml unpacks to [\d,]+ bytes .*at most 16,777,216 bytes/)
    // Sizes that lie: declared larger than the cap, or smaller than what the entry inflates to.
    const huge = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }] })
    lieAboutSize(huge, 'xl/worksheets/sheet1.xml', 3_000_000_000)
    expect((await refusal(huge)).message).to.match(/unpacks to 3,000,000,000 bytes .*a zip bomb/)
    const small = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) + inlineRow(2, ['b']) }] })
    lieAboutSize(small, 'xl/worksheets/sheet1.xml', 10)
    expect((await refusal(small)).message).to.match(/\(xl\/worksheets\/sheet1\.xml\): the workbook's zip container is damaged \(.*too many bytes/)
  })

  it('refuses a shared string index out of range, and a shared strings table beyond the caps', async () => {
    for (const index of ['1', '-1', '0.5', '']) {
      const file = await xlsx(out(), { sharedStrings: ['<t>only</t>'], sheets: [{ name: 'S', rows: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>${index}</v></c></row>` }] })
      expect((await refusal(file)).message, index).to.contain(`[S]:1: cell B1 refers to shared string "${index}", but the table has 1 (the file is damaged)`)
    }
    // The instance the reader uses (loaded as readSheet loads it).
    const { SHARED_STRING_LIMITS } = await import('../../../src/lib/workbook/xlsx.js')
    const saved = { ...SHARED_STRING_LIMITS }
    try {
      SHARED_STRING_LIMITS.strings = 100
      const many = await xlsx(out(), { sharedStrings: Array.from({ length: 101 }, (_, i) => `<t>${i}</t>`), sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }] })
      expect((await refusal(many)).message).to.contain('the shared strings table holds more than erp reads (100 strings')
      SHARED_STRING_LIMITS.strings = saved.strings
      SHARED_STRING_LIMITS.chars = 1000
      const long = await xlsx(out(), { sharedStrings: [`<t>${'x'.repeat(1001)}</t>`], sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }] })
      expect((await refusal(long)).message).to.contain('1,000 characters')
    } finally {
      Object.assign(SHARED_STRING_LIMITS, saved)
    }
  })

  it('refuses absurd cell and row references instead of building rows of them', async () => {
    const cases: [string, RegExp][] = [
      ['<row r="1"><c r="XFE1" t="inlineStr"><is><t>x</t></is></c></row>', /\[S\]:1: cell XFE1 is outside the sheet \(columns A to XFD\)/],
      ['<row r="1"><c r="1A" t="inlineStr"><is><t>x</t></is></c></row>', /\[S\]:1: cell 1A is outside the sheet/],
      [`${inlineRow(1, ['a', 'b'])}<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>`, /\[S\]:2: a cell in column XFD, far past the header's 2 column\(s\)/],
      [`${inlineRow(1, ['a'])}<row r="1048577"><c r="A1048577"><v>1</v></c></row>`, /row number 1048577 is outside the sheet \(1 to 1,048,576\)/],
      [`${inlineRow(5, ['a'])}${inlineRow(3, ['b'])}`, /\[S\]:3: the row comes after row 5 \(rows out of order/],
      ['<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>', /\[S\]:1: cell A1 comes after a cell right of it/],
    ]
    for (const [rows, message] of cases) {
      const err = await refusal(await xlsx(out(), { sheets: [{ name: 'S', rows }] }))
      expect(err.kind).to.equal('INVALID_DATA')
      expect(err.message).to.match(message)
    }
    // The format's own limit is fine: a header cell in XFD.
    const widest = await readSheet(await xlsx(out(), { sheets: [{ name: 'S', rows: '<row r="1"><c r="XFD1"><v>1</v></c></row>' }] }))
    expect((widest.rows[0][1] as string[]).length).to.equal(16_384)
  })

  it('uses the names inside the zip only as look-ups: relationships pointing out of it find no sheet', async () => {
    for (const target of ['../../../../etc/passwd', '/etc/passwd', '../../../../../proc/self/environ']) {
      const file = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']), target }] })
      const err = await refusal(file)
      expect(err.message, target).to.equal(`${file}: the workbook has no worksheet`)
    }
  })

  it('refuses files that only look like workbooks: a CSV named .xlsx, a zip of something else, a damaged zip, .xls, .xlsb, a part named twice', async () => {
    const csv = out()
    writeFileSync(csv, 'sku,name\nA,B\n')
    const asCsv = await refusal(csv)
    expect(asCsv.kind).to.equal('INVALID_DATA')
    expect(asCsv.message).to.equal(`${csv} is named .xlsx but is not a workbook (no zip inside: it starts like text, a CSV?)`)
    const other = await writeZip(out(), [{ name: 'readme.txt', data: 'hello' }])
    expect((await refusal(other)).message).to.equal(`${other}: the file is a zip but no Excel workbook (it has no xl/workbook.xml)`)
    const good = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }] })
    const cut = out()
    writeFileSync(cut, readFileSync(good).subarray(0, 300))
    expect((await refusal(cut)).message).to.match(/: the workbook's zip container is damaged \(/)
    const ole = out('xls')
    writeFileSync(ole, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]))
    expect((await refusal(ole)).message).to.equal(`${ole} is an old Excel workbook (.xls) or a password-protected one, which erp does not read`)
    const xlsb = await writeZip(out(), [{ name: '_rels/.rels', data: '<Relationships><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>' }, { name: 'xl/workbook.bin', data: Buffer.from([1, 2, 3]) }])
    expect((await refusal(xlsb)).message).to.equal(`${xlsb}: the workbook is a binary Excel workbook (.xlsb), which erp does not read`)
    const twice = await writeZip(out(), [{ name: 'xl/workbook.xml', data: '<workbook/>' }, { name: 'xl/workbook.xml', data: '<workbook/>' }])
    expect((await refusal(twice)).message).to.contain('the workbook names the part "xl/workbook.xml" twice')
  })

  it('refuses flags that are for CSV files, and --sheet on a CSV', async () => {
    const { openSource } = await import('../../../src/lib/importer/source.js')
    const book = await xlsx(out(), { sheets: [{ name: 'S', rows: inlineRow(1, ['a']) }] })
    const csv = out('csv')
    writeFileSync(csv, 'a\n1\n')
    const cases: [Parameters<typeof openSource>[0], string][] = [
      [{ file: book, encoding: 'windows-1252' }, `--encoding is for CSV files; ${book} is a workbook (xlsx)`],
      [{ file: book, delimiter: ';' }, `--delimiter is for CSV files; ${book} is a workbook (xlsx)`],
      [{ file: csv, sheet: 'S' }, `--sheet is for workbooks (.xlsx, .ods); ${csv} is read as CSV`],
      [{ file: '-', sheet: 'S' }, '--sheet reads a workbook (.xlsx, .ods), which is read from a file, not stdin'],
    ]
    for (const [input, message] of cases) {
      const err = await openSource(input).then(() => undefined, (e: { kind: string; message: string }) => e)
      expect(err?.kind, message).to.equal('USAGE')
      expect(err!.message).to.contain(message)
    }
    // A zip under any other name is read as the workbook it is.
    const renamed = out('csv')
    writeFileSync(renamed, readFileSync(book))
    expect((await readSheet(renamed)).format).to.equal('xlsx')
  })
})
