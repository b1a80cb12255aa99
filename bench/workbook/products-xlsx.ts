import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import yazl from 'yazl'

/**
 * The bench's products as an .xlsx, laid out as Excel writes one: every text cell a shared
 * string (the table after the sheet in the zip, as the sheet is written first), numbers as
 * numbers. Streamed: the sheet's XML is made as yazl reads it, a batch of rows at a time.
 */
export type ProductRow = [sku: string, name: string, description: string, category: string, price: string, barcode: string, weight: string]

const HEADER = ['sku', 'name', 'description', 'category', 'price', 'barcode', 'weight']
/** Columns written as numbers. */
const NUMERIC = new Set([4, 5, 6])
const COLUMNS = 'ABCDEFG'

export async function writeProductsXlsx(file: string, rows: number, row: (i: number) => ProductRow): Promise<void> {
  const strings = new Map<string, number>()
  const shared = (text: string) => {
    let index = strings.get(text)
    if (index === undefined) {
      index = strings.size
      strings.set(text, index)
    }
    return index
  }
  const escape = (t: string) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  const line = (r: number, cells: string[]) =>
    `<row r="${r}">${cells.map((c, i) => (NUMERIC.has(i) && r > 1 ? `<c r="${COLUMNS[i]}${r}"><v>${Number(c)}</v></c>` : `<c r="${COLUMNS[i]}${r}" t="s"><v>${shared(c)}</v></c>`)).join('')}</row>`

  function* sheet(): Generator<string> {
    yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    yield line(1, HEADER)
    for (let start = 1; start <= rows; start += 1000) {
      let chunk = ''
      for (let i = start; i < start + 1000 && i <= rows; i++) chunk += line(i + 1, row(i))
      yield chunk
    }
    yield '</sheetData></worksheet>'
  }
  // Read by yazl only once the sheet is written: the table is complete by then.
  function* sharedStrings(): Generator<string> {
    yield `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="${strings.size}">`
    let chunk = ''
    for (const text of strings.keys()) {
      chunk += `<si><t xml:space="preserve">${escape(text)}</t></si>`
      if (chunk.length > 1 << 16) {
        yield chunk
        chunk = ''
      }
    }
    yield `${chunk}</sst>`
  }

  const zip = new yazl.ZipFile()
  const part = (name: string, xml: string) => zip.addBuffer(Buffer.from(xml), name)
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
  part('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
  part('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
  part('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${rel}"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`)
  part('xl/_rels/workbook.xml.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
  zip.addReadStream(Readable.from(sheet()), 'xl/worksheets/sheet1.xml')
  zip.addReadStream(Readable.from(sharedStrings()), 'xl/sharedStrings.xml')
  zip.end()
  await pipeline(zip.outputStream, createWriteStream(file))
}
