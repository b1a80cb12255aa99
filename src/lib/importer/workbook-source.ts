import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { invalidData } from '../errors.js'
import { odsSheetTransform, noSuchSheet, matches, type SheetChoice } from '../workbook/ods.js'
import type { RecordBatch, SheetTransform } from '../workbook/rows.js'
import { readDateStyles, readSharedStrings, readXlsxWorkbook, xlsxSheetTransform } from '../workbook/xlsx.js'
import { Zip } from '../workbook/zip.js'
import type { OnRow, OpenedSource, RecordCutter, WorkbookFormat } from './source.js'

/**
 * A workbook (.xlsx, .ods) as the importer's source: one sheet's rows, as record batches, in place
 * of CSV text. The file is hashed whole first (the audit's sha256 is of the file, as for a CSV);
 * progress counts the sheet part's bytes as they are inflated. Errors name the file and the sheet,
 * `clients.xlsx [Customers]:12`, the number being the sheet's row.
 */
export function sheetChoice(value: string | undefined): SheetChoice {
  if (value === undefined) return {}
  return { name: value, ...(/^\d{1,7}$/.test(value) ? { index: Number(value) } : {}) }
}

export async function openWorkbookSource(file: string, format: WorkbookFormat | undefined, sheet: string | undefined): Promise<OpenedSource> {
  const sha256 = await hashFile(file)
  const opened = await openSheet(file, format, sheetChoice(sheet))
  return {
    get name() {
      return opened.sheet() === null ? file : `${file} [${opened.sheet()}]`
    },
    file,
    format: opened.format,
    sheet: () => opened.sheet(),
    size: opened.size,
    delimiter: ',',
    encoding: 'utf8',
    streams: opened.streams,
    records: () => new BatchCutter(),
    bytesRead: () => opened.transform.bytes,
    sha256: () => sha256,
    reread: async (onRecord) => {
      const again = await openSheet(file, opened.format, { name: opened.sheet() ?? undefined })
      let header = true
      await pipeline([...again.streams, new Writable({
        objectMode: true,
        write(batch: RecordBatch, _enc, done) {
          for (let i = 0; i < batch.records.length; i++) {
            if (header) header = false
            else onRecord(batch.records[i], batch.rows[i])
          }
          done()
        },
      })])
    },
  }
}

interface OpenedSheet {
  format: WorkbookFormat
  sheet: () => string | null
  size: number
  streams: OpenedSource['streams']
  transform: SheetTransform
}

async function openSheet(file: string, format: WorkbookFormat | undefined, choice: SheetChoice): Promise<OpenedSheet> {
  const zip = await Zip.open(file, file)
  try {
    const kind = format ?? formatOf(zip)
    if (kind === 'ods') {
      if (!zip.has('content.xml')) throw invalidData(`${file}: the file is a zip but no OpenDocument spreadsheet (it has no content.xml)`, { actions: ['Save it from LibreOffice as .ods'] })
      let name: string | null = null
      const transform = await odsSheetTransform({ file, choice, onSheet: (n) => (name = n) })
      const content = await zip.stream('content.xml')
      transform.on('close', () => zip.close())
      return { format: kind, sheet: () => name, size: zip.size('content.xml'), streams: [content, transform], transform }
    }
    const workbook = await readXlsxWorkbook(zip)
    const names = workbook.sheets.map((s) => s.name)
    const sheet = choice.name === undefined && choice.index === undefined
      ? (workbook.sheets.find((s) => !s.hidden) ?? workbook.sheets[0])
      : (workbook.sheets.find((s) => s.name === choice.name) ?? workbook.sheets.find((s, i) => matches(choice, s.name, i + 1)))
    if (!sheet) throw noSuchSheet(file, choice, names)
    const label = `${file} [${sheet.name}]`
    const [strings, dateStyles] = [await readSharedStrings(zip, workbook.sharedStringsPart), await readDateStyles(zip, workbook.stylesPart)]
    const transform = await xlsxSheetTransform({ label, strings, dateStyles, date1904: workbook.date1904 })
    const part = await zip.stream(sheet.part)
    transform.on('close', () => zip.close())
    return { format: kind, sheet: () => sheet.name, size: zip.size(sheet.part), streams: [part, transform], transform }
  } catch (err) {
    zip.close()
    throw err
  }
}

/** By the parts it holds: an ODF package has content.xml and no OOXML [Content_Types].xml; anything else is tried as OOXML. */
function formatOf(zip: Zip): WorkbookFormat {
  return zip.has('content.xml') && !zip.has('[Content_Types].xml') ? 'ods' : 'xlsx'
}

/** Record batches → the rows RowStream checks, cell errors with them. */
class BatchCutter implements RecordCutter {
  feed(batch: RecordBatch, onRecord: OnRow): void {
    for (let i = 0; i < batch.records.length; i++) onRecord(batch.records[i], batch.rows[i], batch.errors[i])
  }

  end(): void {}
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
