import { posix } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

import { invalidData } from '../errors.js'
import { builtInDateKind, columnOf, customDateKind, decodeOoxmlEscapes, numberText, serialDateText, type DateKind } from './cells.js'
import { RowCollector, SheetTransform, setCell, type CellError } from './rows.js'
import { localName, scanTags, xmlParser } from './xml.js'
import type { Zip } from './zip.js'

/**
 * SpreadsheetML (.xlsx, ECMA-376) cells read by hand, over saxes and yauzl. Why not a library:
 * exceljs pulls ~200 packages and its streaming reader does not give sheet names reliably; SheetJS
 * is no longer published on npm and reads a whole workbook into memory. What a sheet needs is small
 * and well specified: the workbook's sheet list and date system, the relationships to the sheet's
 * part, the shared strings, and which cell styles are dates; the sheet itself is then streamed,
 * one row at a time, in flat memory (the shared strings table is the one thing held, capped).
 *
 * Cells: t="s" a shared string, "inlineStr" an inline one, "str" a formula's text result, "b" a
 * boolean (true/false), "e" an error (#N/A: the row is rejected when its column is read), "d" an
 * ISO date as written, and numbers (the default) in their shortest round-trip text, or ISO dates
 * when the cell's number format shows a date. Rich text runs are joined; phonetic runs (rPh) are
 * left out; whitespace is kept as written.
 */

/**
 * The shared strings held for a sheet (the one part of a workbook not streamed): more is an attack,
 * not a spreadsheet. A million rows with two columns of distinct text are 2 M strings. An object so
 * a test can lower them.
 */
export const SHARED_STRING_LIMITS = { strings: 5_000_000, chars: 256 * 1024 * 1024 }

export interface XlsxSheet {
  name: string
  part: string
  hidden: boolean
}

export interface XlsxWorkbook {
  sheets: XlsxSheet[]
  date1904: boolean
  sharedStringsPart?: string
  stylesPart?: string
}

/** The sheet list, date system and the parts a sheet needs: read before any cell. */
export async function readXlsxWorkbook(zip: Zip): Promise<XlsxWorkbook> {
  let workbookPart = 'xl/workbook.xml'
  if (zip.has('_rels/.rels')) {
    const root = await relationships(zip, '_rels/.rels', '')
    const office = [...root.values()].find((r) => r.type.endsWith('/officeDocument'))
    if (office) workbookPart = office.target
  }
  if (workbookPart.endsWith('.bin')) {
    throw invalidData(`${zip.label}: the workbook is a binary Excel workbook (.xlsb), which erp does not read`, { actions: ['Save it from Excel as .xlsx (Excel Workbook)'] })
  }
  if (!zip.has(workbookPart)) throw invalidData(`${zip.label}: the file is a zip but no Excel workbook (it has no ${workbookPart})`, { actions: ['Save it from Excel or LibreOffice as .xlsx'] })
  const relsPart = posix.join(posix.dirname(workbookPart), '_rels', `${posix.basename(workbookPart)}.rels`)
  const rels = zip.has(relsPart) ? await relationships(zip, relsPart, posix.dirname(workbookPart)) : new Map<string, Relationship>()

  const listed: { name: string; id: string; hidden: boolean }[] = []
  let date1904 = false
  await scanTags(await zip.text(workbookPart), `${zip.label} (${workbookPart})`, (tag, a) => {
    if (tag === 'workbookPr') date1904 = a.date1904 === '1' || a.date1904 === 'true'
    if (tag === 'sheet') {
      const id = a['r:id'] ?? Object.entries(a).find(([k]) => k.endsWith(':id'))?.[1] ?? ''
      listed.push({ name: a.name ?? '', id, hidden: a.state === 'hidden' || a.state === 'veryHidden' })
    }
  })
  // Chart sheets and dialog sheets have no cells: only worksheets are listed.
  const sheets = listed.flatMap((s) => {
    const rel = rels.get(s.id)
    return rel && rel.type.endsWith('/worksheet') && zip.has(rel.target) ? [{ name: s.name, part: rel.target, hidden: s.hidden }] : []
  })
  if (sheets.length === 0) throw invalidData(`${zip.label}: the workbook has no worksheet`, { data: { file: zip.label } })
  const byType = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix) && zip.has(r.target))?.target
  return { sheets, date1904, sharedStringsPart: byType('/sharedStrings'), stylesPart: byType('/styles') }
}

interface Relationship {
  type: string
  target: string
}

/** A .rels part: id → type and the target's part name (resolved against `base`, only ever looked up in the zip). */
async function relationships(zip: Zip, part: string, base: string): Promise<Map<string, Relationship>> {
  const out = new Map<string, Relationship>()
  await scanTags(await zip.text(part), `${zip.label} (${part})`, (tag, a) => {
    if (tag !== 'Relationship' || !a.Id || !a.Target || a.TargetMode === 'External') return
    const target = a.Target.startsWith('/') ? a.Target.slice(1) : posix.normalize(posix.join(base, a.Target))
    out.set(a.Id, { type: a.Type ?? '', target })
  })
  return out
}

/** Cell style index (the cell's s attribute) → the date kind its number format shows, if any. */
export async function readDateStyles(zip: Zip, part: string | undefined): Promise<(DateKind | undefined)[]> {
  if (!part) return []
  const custom = new Map<number, DateKind | undefined>()
  const styles: (DateKind | undefined)[] = []
  let inCellXfs = false
  const parser = await xmlParser(`${zip.label} (${part})`)
  parser.on('opentag', (tag) => {
    const name = localName(tag.name)
    const a = tag.attributes as Record<string, string>
    if (name === 'numFmt') custom.set(Number(a.numFmtId), customDateKind(a.formatCode ?? ''))
    else if (name === 'cellXfs') inCellXfs = true
    else if (name === 'xf' && inCellXfs) {
      const id = Number(a.numFmtId ?? 0)
      styles.push(custom.has(id) ? custom.get(id) : builtInDateKind(id))
    }
  })
  parser.on('closetag', (tag) => {
    if (localName(tag.name) === 'cellXfs') inCellXfs = false
  })
  parser.write(await zip.text(part)).close()
  return styles
}

/** The shared strings table, streamed in; refused beyond MAX_SHARED_STRINGS or MAX_SHARED_CHARS. */
export async function readSharedStrings(zip: Zip, part: string | undefined): Promise<string[]> {
  if (!part) return []
  const strings: string[] = []
  const where = `${zip.label} (${part})`
  let chars = 0
  let inItem = false
  let phonetic = 0
  let inText = false
  let text = ''
  const parser = await xmlParser(where)
  parser.on('opentag', (tag) => {
    const name = localName(tag.name)
    if (name === 'si') {
      inItem = true
      text = ''
    } else if (name === 'rPh') phonetic++
    else if (name === 't' && inItem && phonetic === 0) inText = !tag.isSelfClosing
  })
  parser.on('text', (t) => {
    if (inText) text += t
  })
  parser.on('closetag', (tag) => {
    const name = localName(tag.name)
    if (name === 't') inText = false
    else if (name === 'rPh') phonetic--
    else if (name === 'si') {
      inItem = false
      chars += text.length
      if (strings.length >= SHARED_STRING_LIMITS.strings || chars > SHARED_STRING_LIMITS.chars) {
        const { strings: most, chars: longest } = SHARED_STRING_LIMITS
        throw invalidData(`${where}: the shared strings table holds more than erp reads (${most.toLocaleString('en')} strings, ${longest.toLocaleString('en')} characters)`, {
          data: { file: zip.label },
        })
      }
      strings.push(decodeOoxmlEscapes(text))
    }
  })
  const decoder = new StringDecoder('utf8')
  for await (const chunk of await zip.stream(part)) parser.write(decoder.write(chunk as Buffer))
  parser.write(decoder.end()).close()
  return strings
}

export interface XlsxSheetInput {
  label: string
  strings: string[]
  dateStyles: (DateKind | undefined)[]
  date1904: boolean
}

/** A worksheet part's XML → record batches, streamed: one row of cells held at a time. */
export async function xlsxSheetTransform(input: XlsxSheetInput): Promise<SheetTransform> {
  const { label, strings, dateStyles, date1904 } = input
  const rows = new RowCollector(label)
  const parser = await xmlParser(label)
  let row = 0
  let cells: string[] = []
  let errors: CellError[] | undefined
  let column = 0
  let type = 'n'
  let style = 0
  let reference: string | undefined
  /** What the text events feed: a <v>, an inline string's <t>, or nothing. */
  let collecting = false
  let inCell = false
  let inInline = false
  let phonetic = 0
  let value = ''

  parser.on('opentag', (tag) => {
    const name = localName(tag.name)
    const a = tag.attributes as Record<string, string>
    if (name === 'c') {
      reference = a.r
      column = reference === undefined ? column + 1 : columnOf(reference)
      rows.checkColumn(column, row, reference)
      if (column <= cells.length) throw invalidData(`${label}:${row}: cell ${reference ?? column} comes after a cell right of it (the file is damaged)`)
      type = a.t ?? 'n'
      style = a.s === undefined ? 0 : Number(a.s)
      inCell = true
      value = ''
    } else if (name === 'v') {
      collecting = inCell && !tag.isSelfClosing
    } else if (name === 'is') {
      inInline = true
    } else if (name === 'rPh') {
      phonetic++
    } else if (name === 't') {
      collecting = inInline && phonetic === 0 && !tag.isSelfClosing
    } else if (name === 'row') {
      const next = a.r === undefined ? row + 1 : Number(a.r)
      rows.checkRow(next)
      row = next
      cells = []
      errors = undefined
      column = 0
    }
  })
  parser.on('text', (t) => {
    if (collecting) value += t
  })
  parser.on('closetag', (tag) => {
    const name = localName(tag.name)
    if (name === 'v' || name === 't') collecting = false
    else if (name === 'rPh') phonetic--
    else if (name === 'is') inInline = false
    else if (name === 'c') {
      inCell = false
      const text = cellText()
      if (text !== '') setCell(cells, column, text)
    } else if (name === 'row') rows.add(cells, row, errors)
  })

  function cellText(): string {
    switch (type) {
      case 's': {
        const index = Number(value)
        if (value === '' || !Number.isInteger(index) || index < 0 || index >= strings.length) {
          throw invalidData(`${label}:${row}: cell ${reference ?? column} refers to shared string ${JSON.stringify(value)}, but the table has ${strings.length} (the file is damaged)`, {
            data: { file: label, row },
          })
        }
        return strings[index]
      }
      case 'inlineStr':
      case 'str':
        return decodeOoxmlEscapes(value)
      case 'b':
        return value === '' ? '' : value === '1' || value === 'true' ? 'true' : 'false'
      case 'e':
        ;(errors ??= []).push({ column: column - 1, message: `the cell holds the spreadsheet error ${value || '(unknown)'}, not a value` })
        return value || '#ERROR'
      case 'd':
        return value
      default: {
        if (value === '') return ''
        const kind = dateStyles[style]
        return (kind ? serialDateText(value, kind, date1904) : undefined) ?? numberText(value) ?? value
      }
    }
  }

  return new SheetTransform(parser, () => rows.take())
}
