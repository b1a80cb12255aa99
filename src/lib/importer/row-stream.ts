import { Transform, type TransformCallback } from 'node:stream'

import { usageError } from '../errors.js'
import { copyText } from '../db/copy-text.js'
import { Problems } from '../validation.js'
import type { Rejects } from './rejects.js'
import type { CellError } from '../workbook/rows.js'
import type { OnRow, OpenedSource, RecordCutter } from './source.js'
import { unguardFormula, type EntitySpec, type FieldSpec, type ImportMode } from './spec.js'
import { compileMapping, type ColumnRead } from './mapping/compile.js'
import { decimalPointHint } from './mapping/convert.js'
import type { LookupTable } from './mapping/lookup.js'
import type { MappingRules } from './mapping/rules.js'

/** How many rows a dry run shows as the fields receive them. */
export const PREVIEW_ROWS = 5

/**
 * A valid row (its values in field order, null for empty or absent) → the COPY text line its
 * destination takes; may throw to stop the read (a direct load that needs the staged checks).
 */
export type RowEncoder = (values: (string | null)[], line: number) => string

/** The staging table's line: the row's line number, then every field as text. */
export const stagingLine: RowEncoder = (values, line) => {
  let out = String(line)
  for (const v of values) out += `\t${copyText(v)}`
  return `${out}\n`
}

export interface PreviewRow {
  line: number
  /** Field key → the value staged for it (null: empty). */
  values: Record<string, string | null>
}

/**
 * The source's records → COPY text lines for the staging table (or, through `encode`, for the
 * target table of a direct load). Records are cut by the source's
 * cutter: CsvReader from CSV text, or a workbook sheet's batches of rows (the writable side then
 * takes objects), so a CSV's hot path is what it was. The first record is the header: it is mapped
 * to fields (an error before any row is read); every later row is checked without the database,
 * and a bad one goes to the rejects instead of the staging table.
 */
export class RowStream extends Transform {
  count = 0
  headerSeen = false
  /** Field keys present in the file. */
  present = new Set<string>()
  /** Columns left out by the mapping (as the header writes them). */
  ignored: string[] = []
  /** Whether the file's decimals are read with a comma. */
  decimalComma = false
  /** Whether the mapping changes cells on their way to the fields (so staged values differ from the file's). */
  changesCells = false
  /** The first valid rows as the fields receive them (for a dry run's preview). */
  readonly preview: PreviewRow[] = []
  /** Cells whose leading or trailing whitespace the checks will drop, and the first of them. */
  trimmed: { count: number; first?: { line: number; column: string } } = { count: 0 }
  private mapping: ColumnRead[] = []
  private constants: { field: number; value: string | null }[] = []
  private headerLength = 0
  /** One Problems for every cell check (emptied after a bad cell): no allocation per cell. */
  private readonly cell = new Problems()
  /** Field key → the file's header name for it. */
  private headerOf = new Map<string, string>()
  private readonly fieldIndex: Map<string, number>
  private buffer: string[] = []
  private readonly reader: RecordCutter

  constructor(
    private readonly source: OpenedSource,
    private readonly spec: EntitySpec<unknown>,
    private readonly fields: FieldSpec[],
    private readonly mode: ImportMode,
    private readonly rules: MappingRules,
    private readonly tables: Map<string, LookupTable>,
    private readonly rejects: Rejects,
    private readonly encode: RowEncoder = stagingLine,
  ) {
    const batches = source.format !== 'csv'
    super(batches ? { writableObjectMode: true, writableHighWaterMark: 4 } : { writableHighWaterMark: 1 << 20 })
    this.fieldIndex = new Map(fields.map((f, i) => [f.key, i]))
    this.reader = source.records()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.reader.feed(chunk as never, this.onRecord)
    } catch (err) {
      done(err as Error)
      return
    }
    this.pushRows()
    done()
  }

  private readonly onRecord: OnRow = (record, line, cellErrors): void => {
    if (record.length === 1 && record[0] === '') return
    if (!this.headerSeen) {
      this.readHeader(record, line)
      this.headerSeen = true
      return
    }
    this.count++
    const row = this.checkRow(record, line, cellErrors)
    if (row) this.buffer.push(row)
    if (this.buffer.length >= 512) this.pushRows()
  }

  private pushRows(): void {
    if (this.buffer.length === 0) return
    this.push(this.buffer.join(''))
    this.buffer = []
  }

  override _flush(done: TransformCallback): void {
    try {
      this.reader.end(this.onRecord)
    } catch (err) {
      done(err as Error)
      return
    }
    this.pushRows()
    done()
  }

  private readHeader(header: string[], line: number): void {
    const compiled = compileMapping({
      file: this.source.name, line, header, fields: this.fields, spec: this.spec, mode: this.mode,
      rules: this.rules, tables: this.tables, delimiter: this.source.delimiter,
    })
    this.mapping = compiled.reads
    this.changesCells = compiled.reads.some((r) => r.convert !== undefined)
    if (this.changesCells && this.source.name === 'stdin' && this.rejects.writesFile) {
      throw usageError('--errors with a mapping that changes cells (inverts, looks up, maps values, reads dates or decimal commas) needs the file, not stdin: ' +
        'its rejected rows are written as read, which stdin cannot give twice', { actions: ['Pass the file\'s path instead of -'] })
    }
    this.constants = compiled.constants
    this.present = compiled.present
    this.headerOf = compiled.headerOf
    this.ignored = compiled.ignored
    this.decimalComma = compiled.decimalComma
    this.headerLength = header.length
    this.rejects.start(compiled.headerOut, compiled.skipColumn, compiled.headerOf)
  }

  private checkRow(record: string[], line: number, cellErrors: CellError[] | undefined): string | undefined {
    if (record.length !== this.headerLength) {
      this.rejects.add(line, record, [{ message: `has ${record.length} field(s), the header has ${this.headerLength}` }])
      return undefined
    }
    const values: (string | null)[] = new Array(this.fields.length).fill(null)
    let problems: { column?: string; value?: string; message: string }[] | undefined
    for (const { index, field, header, convert, pointHint } of this.mapping) {
      const spec = this.fields[field]
      let raw = record[index]
      if (raw.includes('\u0000')) {
        ;(problems ??= []).push({ column: header, value: raw.replaceAll('\u0000', '\\0'), message: 'contains a NUL byte (binary data is not text)' })
        continue
      }
      if (raw.length > 0 && hasOuterSpace(raw)) {
        this.trimmed.count++
        this.trimmed.first ??= { line, column: header }
      }
      if (spec.text) raw = unguardFormula(raw)
      const cell = this.cell
      const converted = convert ? convert(cell, raw) : raw
      const value = converted === undefined ? undefined : spec.check(cell, converted)
      if (value === undefined || !cell.empty) {
        const hint = pointHint ? decimalPointHint(raw) : undefined
        for (const p of cell.list) (problems ??= []).push({ column: header, value: raw, message: hint ?? p.message })
        cell.list.length = 0
        continue
      }
      values[field] = value
    }
    for (const { field, value } of this.constants) values[field] = value
    // A workbook's error cells (#N/A…) in a column the mapping reads: that, not the check of the error's text, is the problem.
    if (cellErrors) {
      const reads = cellErrors.flatMap((e) => this.mapping.filter((r) => r.index === e.column).slice(0, 1).map((r) => ({ column: r.header, value: record[e.column], message: e.message })))
      if (reads.length > 0) problems = [...(problems ?? []).filter((p) => !reads.some((r) => r.column === p.column)), ...reads]
    }
    if (!problems && this.spec.checkRow) {
      const row: Record<string, string | null> = {}
      for (const key of this.present) row[key] = values[this.fieldIndex.get(key)!]
      const cross = new Problems()
      this.spec.checkRow(cross, row, this.present)
      if (cross.empty) for (const key of this.present) values[this.fieldIndex.get(key)!] = row[key]
      else problems = cross.list.map((p) => ({ column: this.headerOf.get(p.field) ?? p.field, message: p.message }))
    }
    if (problems) {
      this.rejects.add(line, record, problems)
      return undefined
    }
    if (this.preview.length < PREVIEW_ROWS) {
      const shown: Record<string, string | null> = {}
      for (const key of this.present) shown[key] = values[this.fieldIndex.get(key)!]
      this.preview.push({ line, values: shown })
    }
    return this.encode(values, line)
  }
}

/** Whether trimming changes a non-blank cell; cheap for the usual cell, which starts and ends with a visible ASCII character. */
function hasOuterSpace(text: string): boolean {
  const a = text.charCodeAt(0)
  const z = text.charCodeAt(text.length - 1)
  if (a > 32 && a < 0x80 && z > 32 && z < 0x80) return false
  const trimmed = text.trim()
  return trimmed !== '' && trimmed !== text
}
