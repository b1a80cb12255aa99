import { readFileSync, writeFileSync } from 'node:fs'

import yazl from 'yazl'

/**
 * Workbooks written part by part, for what LibreOffice would never write: each attack on the
 * readers (entities, lying sizes, absurd references) and the corners of the formats. The
 * realistic files are the fixtures LibreOffice wrote (test/fixtures/workbooks).
 */

export interface Part {
  name: string
  data: string | Buffer
  /** Stored without compression (ODF's mimetype). */
  store?: boolean
}

export function writeZip(file: string, parts: Part[]): Promise<string> {
  const zip = new yazl.ZipFile()
  for (const p of parts) zip.addBuffer(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data, 'utf8'), p.name, { compress: !p.store })
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => {
      writeFileSync(file, Buffer.concat(chunks))
      resolve(file)
    })
    zip.end()
  })
}

/** Make a zip's entry claim another uncompressed size (local header and central directory alike). */
export function lieAboutSize(file: string, entry: string, size: number): void {
  const b = readFileSync(file)
  for (let i = 0; i + 46 <= b.length; i++) {
    const central = b.readUInt32LE(i) === 0x02014b50
    const local = b.readUInt32LE(i) === 0x04034b50
    if (!central && !local) continue
    const nameLength = b.readUInt16LE(central ? i + 28 : i + 26)
    const name = b.subarray(central ? i + 46 : i + 30, (central ? i + 46 : i + 30) + nameLength).toString('utf8')
    if (name === entry) b.writeUInt32LE(size, central ? i + 24 : i + 22)
  }
  writeFileSync(file, b)
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

export interface XlsxSheetSpec {
  name: string
  /** The <sheetData> content: <row>s. */
  rows: string
  state?: 'hidden'
  /** A relationship target other than worksheets/sheetN.xml (path attacks). */
  target?: string
}

export interface XlsxSpec {
  sheets: XlsxSheetSpec[]
  /** <si> items, as XML. */
  sharedStrings?: string[]
  /** The raw sharedStrings.xml (attacks). */
  sharedStringsXml?: string
  /** Custom number formats (id → code) and the numFmtId of each cell style (s=0, 1, …). */
  numFmts?: Record<number, string>
  cellStyles?: number[]
  date1904?: boolean
  /** Extra or replacing parts. */
  parts?: Part[]
}

/** An .xlsx as Excel lays it out: content types, rels, workbook, styles, shared strings, sheets. */
export function xlsx(file: string, spec: XlsxSpec): Promise<string> {
  const sheets = spec.sheets
  const parts: Part[] = [
    { name: '[Content_Types].xml', data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: '_rels/.rels', data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${TYPE}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    {
      name: 'xl/workbook.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${R}"><workbookPr${spec.date1904 ? ' date1904="1"' : ''}/><sheets>${
        sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 10}"${s.state ? ` state="${s.state}"` : ''}/>`).join('')}</sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${
        sheets.map((s, i) => `<Relationship Id="rId${i + 10}" Type="${TYPE}/worksheet" Target="${s.target ?? `worksheets/sheet${i + 1}.xml`}"/>`).join('')}` +
        `<Relationship Id="rId1" Type="${TYPE}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId2" Type="${TYPE}/styles" Target="styles.xml"/></Relationships>`,
    },
    {
      name: 'xl/styles.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${MAIN}"><numFmts>${Object.entries(spec.numFmts ?? {}).map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${escapeXml(code)}"/>`).join('')}</numFmts>` +
        `<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs>${(spec.cellStyles ?? [0]).map((id) => `<xf numFmtId="${id}" xfId="0"/>`).join('')}</cellXfs></styleSheet>`,
    },
    {
      name: 'xl/sharedStrings.xml',
      data: spec.sharedStringsXml ?? `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">${(spec.sharedStrings ?? []).map((s) => `<si>${s}</si>`).join('')}</sst>`,
    },
    ...sheets.map((s, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}" xmlns:r="${R}"><sheetData>${s.rows}</sheetData></worksheet>` })),
  ]
  for (const extra of spec.parts ?? []) {
    const at = parts.findIndex((p) => p.name === extra.name)
    if (at >= 0) parts[at] = extra
    else parts.push(extra)
  }
  return writeZip(file, parts)
}

/** A row of inline-string cells (the simplest cells to write by hand). */
export function inlineRow(row: number, cells: string[]): string {
  return `<row r="${row}">${cells.map((c, i) => (c === '' ? '' : `<c r="${String.fromCharCode(65 + i)}${row}" t="inlineStr"><is><t>${escapeXml(c)}</t></is></c>`)).join('')}</row>`
}

/** An .ods: mimetype stored first, then content.xml with the given tables' XML. */
export function ods(file: string, tables: string, options: { prolog?: string } = {}): Promise<string> {
  const content = `<?xml version="1.0" encoding="UTF-8"?>${options.prolog ?? ''}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ` +
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ' +
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3">' +
    `<office:body><office:spreadsheet>${tables}</office:spreadsheet></office:body></office:document-content>`
  return writeZip(file, [
    { name: 'mimetype', data: 'application/vnd.oasis.opendocument.spreadsheet', store: true },
    { name: 'content.xml', data: content },
    { name: 'META-INF/manifest.xml', data: '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>' },
  ])
}

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

export interface ReadSheet {
  name: string
  sheet: string | null
  format: string
  /** [row, cells] per record; a record with error cells gets them third. */
  rows: unknown[][]
  bytes: number
  size: number | null
  sha256: string
}

/** A workbook's sheet as the importer's source hands it to RowStream. */
export async function readSheet(file: string, sheet?: string): Promise<ReadSheet> {
  const { openSource } = await import('../../src/lib/importer/source.js')
  const { Writable } = await import('node:stream')
  const { pipeline } = await import('node:stream/promises')
  const source = await openSource({ file, sheet })
  const cutter = source.records()
  const rows: unknown[][] = []
  await pipeline([...source.streams, new Writable({
    objectMode: true,
    write(batch, _enc, done) {
      cutter.feed(batch as never, (cells, line, errors) => rows.push(errors ? [line, cells, errors.map((e) => [e.column, e.message])] : [line, cells]))
      done()
    },
  })])
  return { name: source.name, sheet: source.sheet(), format: source.format, rows, bytes: source.bytesRead(), size: source.size, sha256: source.sha256() }
}
