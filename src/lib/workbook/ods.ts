import { usageError, type ErpError } from '../errors.js'
import { MAX_COLUMNS, MAX_ROWS, durationText, numberText } from './cells.js'
import { RowCollector, SheetTransform, setCell, type CellError } from './rows.js'
import { xmlParser } from './xml.js'

/**
 * OpenDocument spreadsheet (.ods) cells read by hand from content.xml, over saxes: no maintained
 * streaming ODS reader exists on npm (SheetJS reads whole files into memory and is no longer
 * published there). All tables are in the one part, in order, so the sheet asked for is found as
 * the stream reaches it and the others are skipped; its name is known once its table opens.
 *
 * A cell's value is its office:value-type: float, percentage and currency give office:value (a
 * plain number), date its office:date-value (ISO already), time office:time-value (PT…H…M…S, as
 * hh:mm:ss), boolean office:boolean-value; a string is its text:p paragraphs joined with a newline,
 * with text:s (spaces), text:tab and text:line-break spelled out and annotations left out. A
 * formula error (calcext:value-type="error") rejects the row when its column is read.
 *
 * Calc pads every sheet with repeated empty cells and rows (number-columns-repeated="1024",
 * number-rows-repeated="1048576"): repeats of empty cells and rows are counted, never expanded, so
 * such a sheet costs what its filled cells cost. A filled cell or row repeated is written out, up to
 * the format's limits (16,384 columns, 1,048,576 rows).
 */

/** Which sheet: by name, or by 1-based position; the first when neither is given. */
export interface SheetChoice {
  name?: string
  index?: number
}

export interface OdsSheetInput {
  /** How errors name the file (the sheet is added once found). */
  file: string
  choice: SheetChoice
  /** Told the sheet's name once its table opens. */
  onSheet: (name: string) => void
}

const TEXT_SPACE = 'text:s'

export async function odsSheetTransform(input: OdsSheetInput): Promise<SheetTransform> {
  const { file, choice } = input
  const names: string[] = []
  let rows = new RowCollector(file)
  const parser = await xmlParser(`${file} (content.xml)`)
  /** Nesting of tables (a cell may hold a sub-table: only the outer one is read). */
  let tableDepth = 0
  let selected = false
  let found = false
  let row = 0
  let rowRepeat = 1
  let cells: string[] = []
  let errors: CellError[] | undefined
  let column = 0
  let cell: { repeat: number; value: string | undefined; error: boolean } | undefined
  let paragraphs: string[] | undefined
  let paragraph = ''
  let inParagraph = 0
  let annotation = 0

  const attribute = (a: Record<string, string>, name: string) => a[name]
  const repeatOf = (text: string | undefined) => {
    const n = text === undefined ? 1 : Number(text)
    return Number.isInteger(n) && n >= 1 ? n : 1
  }

  parser.on('opentag', (tag) => {
    const name = tag.name
    const a = tag.attributes as Record<string, string>
    if (name === 'table:table') {
      tableDepth++
      if (tableDepth > 1) return
      const tableName = attribute(a, 'table:name') ?? `Sheet${names.length + 1}`
      names.push(tableName)
      selected = !found && matches(choice, tableName, names.length)
      if (selected) {
        found = true
        rows = new RowCollector(`${file} [${tableName}]`)
        input.onSheet(tableName)
        row = 0
      }
      return
    }
    if (!selected || tableDepth !== 1) return
    if (name === 'table:table-row') {
      rowRepeat = repeatOf(attribute(a, 'table:number-rows-repeated'))
      if (row + 1 > MAX_ROWS) rows.checkRow(row + 1)
      cells = []
      errors = undefined
      column = 0
    } else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
      cell = { repeat: repeatOf(attribute(a, 'table:number-columns-repeated')), value: typedValue(a), error: attribute(a, 'calcext:value-type') === 'error' }
      paragraphs = undefined
    } else if (cell && name === 'office:annotation') {
      annotation++
    } else if (cell && annotation === 0) {
      if (name === 'text:p' || name === 'text:h') {
        inParagraph++
        paragraph = ''
        if (tag.isSelfClosing) endParagraph()
      } else if (inParagraph > 0) {
        if (name === TEXT_SPACE) paragraph += ' '.repeat(Math.min(repeatOf(attribute(a, 'text:c')), MAX_COLUMNS))
        else if (name === 'text:tab') paragraph += '\t'
        else if (name === 'text:line-break') paragraph += '\n'
      }
    }
  })
  parser.on('text', (t) => {
    if (inParagraph > 0 && annotation === 0 && selected) paragraph += t
  })
  parser.on('closetag', (tag) => {
    const name = tag.name
    if (name === 'table:table') {
      tableDepth--
      if (tableDepth === 0) selected = false
      return
    }
    if (!selected || tableDepth !== 1) return
    if ((name === 'text:p' || name === 'text:h') && inParagraph > 0 && annotation === 0) endParagraph()
    else if (name === 'office:annotation') annotation--
    else if (name === 'table:table-cell' || name === 'table:covered-table-cell') endCell()
    else if (name === 'table:table-row') endRow()
  })

  function endParagraph(): void {
    inParagraph--
    ;(paragraphs ??= []).push(paragraph)
    paragraph = ''
  }

  function endCell(): void {
    if (!cell) return
    // An error's value is the formula's last number; its text (#DIV/0!) is what it is.
    const text = (cell.error ? undefined : cell.value) ?? paragraphs?.join('\n') ?? cell.value ?? ''
    if (text === '') {
      // Empty cells, repeated or not, only move the column: the next filled cell fills the gap.
      column += cell.repeat
    } else {
      for (let k = 0; k < cell.repeat; k++) {
        column++
        rows.checkColumn(column, row + 1)
        setCell(cells, column, text)
        if (cell.error) (errors ??= []).push({ column: column - 1, message: `the cell holds the spreadsheet error ${text}, not a value` })
      }
    }
    cell = undefined
  }

  function endRow(): void {
    const filled = cells.some((c) => c !== '')
    if (!filled) {
      row += rowRepeat
      return
    }
    // Past the sheet's end before a copy is made.
    if (row + rowRepeat > MAX_ROWS) rows.checkRow(row + rowRepeat)
    for (let k = 0; k < rowRepeat; k++) {
      row++
      rows.checkRow(row)
      rows.add(k === rowRepeat - 1 ? cells : [...cells], row, errors)
    }
  }

  return new SheetTransform(parser, () => rows.take(), () => {
    if (!found) {
      throw noSuchSheet(file, choice, names)
    }
  })
}

/** The text a typed cell's value attribute gives (undefined for strings: their text is in text:p). */
function typedValue(a: Record<string, string>): string | undefined {
  switch (a['office:value-type']) {
    case 'float':
    case 'percentage':
    case 'currency':
      return a['office:value'] === undefined ? undefined : (numberText(a['office:value']) ?? a['office:value'])
    case 'date':
      return a['office:date-value']
    case 'time':
      return a['office:time-value'] === undefined ? undefined : (durationText(a['office:time-value']) ?? a['office:time-value'])
    case 'boolean':
      return a['office:boolean-value'] === undefined ? undefined : String(a['office:boolean-value'] === 'true')
    default:
      return undefined
  }
}

/** The table asked for: by name (case aside) or by position; the first when neither is given. */
export function matches(choice: SheetChoice, name: string, index: number): boolean {
  if (choice.name === undefined && choice.index === undefined) return index === 1
  return (choice.name !== undefined && name.toLowerCase() === choice.name.toLowerCase()) || index === choice.index
}

export function noSuchSheet(file: string, choice: SheetChoice, names: string[]): ErpError {
  const asked = choice.name ?? String(choice.index)
  return usageError(`${file} has no sheet ${JSON.stringify(asked)}; its sheets: ${names.map((n, i) => `${i + 1} "${n}"`).join(', ')}`, {
    actions: ['Pass --sheet with one of these names, or its number (1 is the first)'],
    data: { file, sheets: names },
  })
}
