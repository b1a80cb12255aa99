import { Transform, type TransformCallback } from 'node:stream'

import { invalidData, usageError } from '../errors.js'
import { CsvReader } from '../csv/reader.js'
import { copyText } from '../db/copy-text.js'
import { Problems } from '../validation.js'
import type { Rejects } from './rejects.js'
import type { OpenedSource } from './source.js'
import { normaliseHeader, unguardFormula, type EntitySpec, type FieldSpec, type ImportMode } from './spec.js'

/**
 * CSV bytes → COPY text lines for the staging table, records cut by CsvReader. The first record is
 * the header: it is mapped to fields (an error before any row is read); every later row is checked
 * without the database, and a bad one goes to the rejects instead of the staging table.
 */
export class RowStream extends Transform {
  count = 0
  headerSeen = false
  /** Field keys present in the file. */
  present = new Set<string>()
  /** Cells whose leading or trailing whitespace the checks will drop, and the first of them. */
  trimmed: { count: number; first?: { line: number; column: string } } = { count: 0 }
  private mapping: { index: number; field: number; header: string }[] = []
  private headerLength = 0
  /** One Problems for every cell check (emptied after a bad cell): no allocation per cell. */
  private readonly cell = new Problems()
  /** Field key → the file's header name for it. */
  private headerOf = new Map<string, string>()
  private buffer: string[] = []
  private readonly reader: CsvReader

  constructor(
    private readonly source: OpenedSource,
    private readonly spec: EntitySpec<unknown>,
    private readonly fields: FieldSpec[],
    private readonly mode: ImportMode,
    private readonly columnMap: Record<string, string>,
    private readonly rejects: Rejects,
  ) {
    super({ writableHighWaterMark: 1 << 20 })
    // The source hands on UTF-8, whatever the file's encoding.
    this.reader = new CsvReader(source.delimiter, 'utf8', source.name)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.reader.feed(chunk, this.onRecord)
    } catch (err) {
      done(err as Error)
      return
    }
    this.pushRows()
    done()
  }

  private readonly onRecord = (record: string[], line: number): void => {
    if (record.length === 1 && record[0] === '') return
    if (!this.headerSeen) {
      this.readHeader(record, line)
      this.headerSeen = true
      return
    }
    this.count++
    const row = this.checkRow(record, line)
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
    const file = this.source.name
    const byName = new Map<string, number>()
    this.fields.forEach((f, i) => {
      for (const name of [f.key, ...(f.aliases ?? [])]) byName.set(normaliseHeader(name), i)
    })
    const mapped = new Map<string, string>()
    for (const [from, to] of Object.entries(this.columnMap)) {
      const field = byName.get(normaliseHeader(to))
      if (field === undefined) {
        throw usageError(`--map ${from}=${to}: "${to}" is not a field of ${this.spec.entity}; the fields are ${this.fields.map((f) => f.key).join(', ')}`)
      }
      mapped.set(normaliseHeader(from), this.fields[field].key)
    }
    const problems: string[] = []
    const seen = new Map<number, string>()
    const headerOut: string[] = []
    let skipColumn = -1
    header.forEach((raw, index) => {
      const name = raw.trim()
      const normal = normaliseHeader(name)
      if (normal === 'error') {
        skipColumn = index
        return
      }
      headerOut.push(name)
      if (normal === '') {
        problems.push(`column ${index + 1} has no name`)
        return
      }
      const target = mapped.get(normal) ?? name
      const field = byName.get(normaliseHeader(target))
      if (field === undefined) {
        problems.push(`unknown column "${name}"`)
        return
      }
      if (seen.has(field)) {
        problems.push(`columns "${seen.get(field)}" and "${name}" are both ${this.fields[field].key}`)
        return
      }
      seen.set(field, name)
      this.mapping.push({ index, field, header: name })
      this.present.add(this.fields[field].key)
    })
    const keyBuilt = !this.present.has(this.spec.key) && this.spec.keyFrom !== undefined && this.spec.keyFrom.every((k) => this.present.has(k))
    if (keyBuilt) this.present.add(this.spec.key)
    for (const f of this.fields) {
      if ((f.key === this.spec.key || f.required?.(this.mode)) && !this.present.has(f.key)) {
        problems.push(`the required column "${f.key}" is missing${this.mode === 'update' ? '' : ` (mode ${this.mode})`}`)
      }
    }
    if (problems.length > 0) {
      throw invalidData(`${file}:${line}: the header does not fit ${this.spec.entity}: ${problems.join('; ')}`, {
        actions: [
          `The columns are: ${this.fields.map((f) => f.key).join(', ')} (${this.spec.key} required)`,
          'Rename a column with --map "CSV column=field"',
        ],
        data: { file, line, problems },
      })
    }
    this.headerLength = header.length
    for (const m of this.mapping) this.headerOf.set(this.fields[m.field].key, m.header)
    this.rejects.start(headerOut, skipColumn, new Map(this.mapping.map((m) => [this.fields[m.field].key, m.header])))
  }

  private checkRow(record: string[], line: number): string | undefined {
    if (record.length !== this.headerLength) {
      this.rejects.add(line, record, [{ message: `has ${record.length} field(s), the header has ${this.headerLength}` }])
      return undefined
    }
    const values: (string | null)[] = new Array(this.fields.length).fill(null)
    let problems: { column?: string; value?: string; message: string }[] | undefined
    for (const { index, field, header } of this.mapping) {
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
      const value = spec.check(cell, raw)
      if (value === undefined || !cell.empty) {
        for (const p of cell.list) (problems ??= []).push({ column: header, value: raw, message: p.message })
        cell.list.length = 0
        continue
      }
      values[field] = value
    }
    if (!problems && this.spec.checkRow) {
      const row: Record<string, string | null> = {}
      for (const { field } of this.mapping) row[this.fields[field].key] = values[field]
      const cross = new Problems()
      this.spec.checkRow(cross, row, this.present)
      if (cross.empty) this.fields.forEach((f, i) => { if (f.key in row) values[i] = row[f.key] })
      else problems = cross.list.map((p) => ({ column: this.headerOf.get(p.field) ?? p.field, message: p.message }))
    }
    if (problems) {
      this.rejects.add(line, record, problems)
      return undefined
    }
    let out = String(line)
    for (const v of values) out += `\t${copyText(v)}`
    return `${out}\n`
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
