import { StringDecoder } from 'node:string_decoder'
import { Transform, type TransformCallback } from 'node:stream'

import { invalidData } from '../errors.js'
import { MAX_COLUMNS, MAX_ROWS, columnName } from './cells.js'
import type { XmlParser } from './xml.js'

/** A cell holding a spreadsheet error (#N/A, #DIV/0!…): the row is rejected if its column is read. */
export interface CellError {
  /** 0-based column. */
  column: number
  message: string
}

/** Rows of a sheet as the importer's records, cut in batches (one per chunk of XML read). */
export interface RecordBatch {
  records: string[][]
  rows: number[]
  /** Cell errors of the record at the same index, when it has any. */
  errors: (CellError[] | undefined)[]
}

/** How far past the header's last column a filled cell may be before the sheet is refused (an attack, not data). */
export const MAX_COLUMNS_PAST_HEADER = 1024

/**
 * Gathers a sheet's rows: an empty row is left out (as a CSV's blank line is), trailing empty cells
 * are dropped and a row shorter than the header is filled up to it (spreadsheets do not write empty
 * cells), so only a filled cell past the header makes a row "too long".
 */
export class RowCollector {
  private batch: RecordBatch = { records: [], rows: [], errors: [] }
  private headerWidth = -1
  private lastRow = 0
  count = 0

  constructor(readonly label: string) {}

  /** Check a row number before its cells are read. */
  checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 1 || row > MAX_ROWS) {
      throw invalidData(`${this.label}: row number ${row} is outside the sheet (1 to ${MAX_ROWS.toLocaleString('en')})`, { data: { file: this.label, row } })
    }
    if (row <= this.lastRow) throw invalidData(`${this.label}:${row}: the row comes after row ${this.lastRow} (rows out of order: the file is damaged)`, { data: { file: this.label, row } })
  }

  /** Check a cell's 1-based column before it is stored. */
  checkColumn(column: number, row: number, reference?: string): void {
    if (column < 1 || column > MAX_COLUMNS) {
      throw invalidData(`${this.label}:${row}: cell ${reference ?? `column ${column}`} is outside the sheet (columns A to XFD)`, { data: { file: this.label, row } })
    }
    if (this.headerWidth >= 0 && column > this.headerWidth + MAX_COLUMNS_PAST_HEADER) {
      throw invalidData(`${this.label}:${row}: a cell in column ${columnName(column)}, far past the header's ${this.headerWidth} column(s); erp reads at most ${MAX_COLUMNS_PAST_HEADER} columns past it`, {
        data: { file: this.label, row },
      })
    }
  }

  add(cells: string[], row: number, errors?: CellError[]): void {
    this.lastRow = row
    let n = cells.length
    while (n > 0 && cells[n - 1] === '') n--
    if (n === 0) return
    cells.length = n
    if (this.headerWidth < 0) this.headerWidth = n
    else for (let i = n; i < this.headerWidth; i++) cells.push('')
    this.count++
    this.batch.records.push(cells)
    this.batch.rows.push(row)
    this.batch.errors.push(errors)
  }

  take(): RecordBatch | undefined {
    if (this.batch.records.length === 0) return undefined
    const batch = this.batch
    this.batch = { records: [], rows: [], errors: [] }
    return batch
  }
}

/** Store a cell at a 1-based column, filling the gap before it (sparse rows) with empty cells. */
export function setCell(cells: string[], column: number, value: string): void {
  while (cells.length < column - 1) cells.push('')
  cells[column - 1] = value
}

/**
 * A sheet's XML bytes in, record batches out: the reader-specific part (SpreadsheetML or ODF)
 * wires its handlers on the parser and fills the collector; `finish` runs once the XML has ended.
 */
export class SheetTransform extends Transform {
  bytes = 0
  private readonly decoder = new StringDecoder('utf8')

  constructor(private readonly parser: XmlParser, private readonly nextBatch: () => RecordBatch | undefined, private readonly finish: () => void = () => undefined) {
    super({ readableObjectMode: true, readableHighWaterMark: 4 })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.bytes += chunk.length
      this.parser.write(this.decoder.write(chunk))
    } catch (err) {
      done(err as Error)
      return
    }
    done(null, this.nextBatch())
  }

  override _flush(done: TransformCallback): void {
    try {
      this.parser.write(this.decoder.end())
      this.parser.close()
      this.finish()
    } catch (err) {
      done(err as Error)
      return
    }
    done(null, this.nextBatch())
  }
}
