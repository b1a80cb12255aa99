import { createWriteStream } from 'node:fs'
import { Transform, type Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

import type { Stringifier, stringify as csvStringify } from 'csv-stringify'

import { invalidData, isErpError, usageError } from '../errors.js'
import { currentIo } from '../io.js'
import { CsvReader } from '../csv/reader.js'
import { reportsUniqueViolations } from '../db/citus.js'
import { copyText } from '../db/copy-text.js'
import { quoteLiteral } from '../db/identifiers.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { withStaging } from '../db/staging.js'
import { Problems } from '../validation.js'
import { openSource, type Encoding, type OpenedSource } from './source.js'
import { normaliseHeader, unguardFormula, type EntitySpec, type FieldSpec, type ImportMode, type MergeCounts, type StagedImport } from './spec.js'

export interface ImportProgress {
  rows: number
  bytes: number
  /** File size in bytes; null for stdin. */
  size: number | null
  elapsedMs: number
}

export interface ImportInput {
  /** A file path, or '-' for stdin. */
  file: string
  mode?: ImportMode
  /** CSV header → field (e.g. {'Item code': 'sku'}). */
  map?: Record<string, string>
  delimiter?: string
  encoding?: Encoding
  dryRun?: boolean
  /** Write rejected rows, with an `error` column, to this CSV file. */
  errorsFile?: string
  /** Import the valid rows and reject the others instead of writing nothing. */
  skipInvalid?: boolean
  /** The operator's reference for this import (kept in the summary and the audit log). */
  batchRef?: string
  stdin?: NodeJS.ReadableStream
  onProgress?: (progress: ImportProgress) => void
  /** Called with the file's sha256 once it has been read (also when the import then fails). */
  onChecksum?: (sha256: string) => void
}

export interface RowError {
  /** Line in the file where the row starts. */
  line: number
  /** The CSV column (header name) when the problem is about one cell. */
  column?: string
  value?: string
  message: string
}

export interface ImportSummary {
  entity: string
  file: string
  mode: ImportMode
  dryRun: boolean
  batchRef: string | null
  sha256: string
  delimiter: string
  encoding: Encoding
  /** Data rows read (the header not counted). */
  rows: number
  inserted: number
  updated: number
  unchanged: number
  rejected: number
  /** Entity-specific counts: categoriesCreated, pricesSet… */
  extra: Record<string, number>
  errorsFile: string | null
  /** The first rejected rows (all of them are in the errors file). */
  errors: RowError[]
  seconds: number
}

const MAX_ERRORS_KEPT = 100
const MAX_ERRORS_IN_MESSAGE = 10

/**
 * Import a CSV file into a tenant inside the caller's transaction: rows are checked in the stream,
 * sent with COPY into a temporary staging table (text columns, with each row's line number), checked
 * again with set-based queries (duplicates, references, existing keys), then merged with set-based
 * statements. Any rejected row makes the whole import fail, writing nothing (unless skipInvalid).
 */
export async function importCsv<O>(trx: Knex.Transaction, spec: EntitySpec<O>, input: ImportInput, options: O): Promise<ImportSummary> {
  const started = performance.now()
  const trace = process.env.ERP_IMPORT_TRACE
    ? (what: string) => currentIo().stderr.write(`[import] ${what} ${Math.round(performance.now() - started)} ms, heap ${mb(process.memoryUsage().heapUsed)} MB, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB\n`)
    : () => undefined
  const mode = input.mode ?? 'insert'
  const fields = await spec.fields(trx, options)
  const source = await openSource({ file: input.file, encoding: input.encoding, delimiter: input.delimiter, stdin: input.stdin as never })
  const { from: copyFrom, to: copyTo } = (await import('pg-copy-streams')).default

  // Room for the duplicate checks' hash tables over a million keys without spilling to disk.
  await trx.raw(`set local work_mem = '256MB'`)
  const columnOf = new Map(fields.map((f, i) => [f.key, `f${i}`]))
  return withStaging(trx, async (staging) => {
    const rowsTable = await staging.create('import_rows', `(line integer not null, ${fields.map((f) => `${columnOf.get(f.key)} text`).join(', ')})`)
    const errorsTable = await staging.create('import_errors', '(line integer not null, field text, value text, message text not null)')

    const { stringify } = await import('csv-stringify')
    const rejects = new Rejects(input.errorsFile, stringify)
    const rows = new RowStream(source, spec, fields, mode, input.map ?? {}, rejects)
    const connection = await trx.client.acquireConnection()
    trace('prepared')
    try {
      let lastProgress = 0
      const meter = setInterval(() => {
        if (!input.onProgress) return
        const now = performance.now()
        if (now - lastProgress < 200) return
        lastProgress = now
        input.onProgress({ rows: rows.count, bytes: source.bytesRead(), size: source.size, elapsedMs: now - started })
      }, 250)
      try {
        const columns = fields.map((f) => columnOf.get(f.key)).join(', ')
        const copy = connection.query(copyFrom(`copy ${rowsTable} (line, ${columns}) from stdin`))
        await pipeline(source.raw, source.text, rows, abandonQuietly(copy))
      } finally {
        clearInterval(meter)
        input.onChecksum?.(source.sha256())
      }
      if (!rows.headerSeen) throw invalidData(`${source.name}: the file is empty (expected a header line, then one row per line)`)
      if (rows.count === 0) {
        throw invalidData(`${source.name}: the file has a header but no rows`, { actions: ['Add one row per line under the header'] })
      }
      input.onProgress?.({ rows: rows.count, bytes: source.bytesRead(), size: source.size, elapsedMs: performance.now() - started })

      trace('staged')
      const present = new Map([...rows.present].map((key) => [key, columnOf.get(key)!]))
      const staged: StagedImport = {
        trx, mode, dryRun: input.dryRun ?? false, file: source.name, sha256: source.sha256(), batchRef: input.batchRef ?? null,
        columns: present, rows: rowsTable, errors: errorsTable, staging, trace,
      }
      await trx.raw(`analyze ${rowsTable}`)
      await spec.validate(staged, options)
      trace('validated')
      // A clean file is merged straight away, the target's unique indexes standing in for the
      // checks they enforce; only if one refuses a row are those checks run, to name every row.
      let counts: MergeCounts | undefined
      if (spec.validateUnique) {
        const trustIndexes = !staged.dryRun && !input.skipInvalid && rejects.count === 0 && !(await anyRejected(trx, errorsTable)) &&
          (await reportsUniqueViolations(trx))
        if (trustIndexes) counts = await mergeUnlessUniqueViolation(trx, () => spec.merge(staged, options))
        if (!counts) await spec.validateUnique(staged, options)
      }

      const dbRejects = await rejects.fromDatabase(trx, connection, copyTo as never, present, { rows: rowsTable, errors: errorsTable })
      await rejects.close()
      const rejected = rejects.count + dbRejects
      if (rejected > 0 && !input.skipInvalid) {
        throw invalidData(describeRejects(source.name, rejects, rejected, input.errorsFile), {
          actions: [
            ...(input.errorsFile ? [`Fix the rows in ${input.errorsFile} and import that file`] : ['Pass --errors rejected.csv to get the rejected rows with their reasons']),
            'Or pass --skip-invalid to import the valid rows only',
          ],
          data: { file: source.name, rejected, errors: rejects.kept, errorsFile: input.errorsFile ?? null },
        })
      }
      if (dbRejects > 0) await trx.raw(`delete from ${rowsTable} s using (select distinct line from ${errorsTable}) e where s.line = e.line`)

      counts ??= await spec.merge(staged, options)
      trace('merged')
      const valid = rows.count - rejected
      return {
        entity: spec.entity,
        file: source.name,
        mode,
        dryRun: staged.dryRun,
        batchRef: input.batchRef ?? null,
        sha256: source.sha256(),
        delimiter: source.delimiter,
        encoding: source.encoding,
        rows: rows.count,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: valid - counts.inserted - counts.updated,
        rejected,
        extra: counts.extra ?? {},
        errorsFile: input.errorsFile ?? null,
        errors: rejects.kept,
        seconds: Math.round(performance.now() - started) / 1000,
      }
    } finally {
      await rejects.close().catch(() => undefined)
      await trx.client.releaseConnection(connection)
    }
  })
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

/**
 * A COPY abandoned because the file was refused (its header, say) tells the server so with a
 * message of its own: pg-copy-streams would send the error's message, which quotes the file, and
 * the server drops the connection over a CopyFail longer than 10,000 bytes ("protocol
 * synchronization was lost"), losing the error. The operator still gets the error itself.
 */
function abandonQuietly<S extends Writable>(copy: S): S {
  const destroy = copy._destroy.bind(copy)
  copy._destroy = (err, callback) => destroy(err ? new Error('erp import: the input was refused') : err, () => callback(err))
  return copy
}

async function anyRejected(trx: Knex.Transaction, errors: string): Promise<boolean> {
  const { rows } = await trx.raw(`select exists (select 1 from ${errors}) as any`)
  return rows[0].any
}

/** The merge, or undefined (and nothing of it kept) when a unique index refused a row. */
async function mergeUnlessUniqueViolation(trx: Knex.Transaction, merge: () => Promise<MergeCounts>): Promise<MergeCounts | undefined> {
  await trx.raw('savepoint import_merge')
  try {
    return await merge()
  } catch (err) {
    const state = sqlStateOf(err) ?? (isErpError(err) ? sqlStateOf(err.cause) : undefined)
    if (state !== SqlState.UNIQUE_VIOLATION) throw err
    await trx.raw('rollback to savepoint import_merge')
    return undefined
  }
}

function describeRejects(file: string, rejects: Rejects, rejected: number, errorsFile?: string): string {
  const lines = rejects.kept.slice(0, MAX_ERRORS_IN_MESSAGE).map((e) => `  ${formatRowError(file, e)}`)
  const more = rejected > lines.length ? `\n  … and ${rejected - lines.length} more row(s)${errorsFile ? ` (all in ${errorsFile})` : ''}` : ''
  return `${rejected} row(s) of ${file} are invalid; nothing was imported:\n${lines.join('\n')}${more}`
}

export function formatRowError(file: string, e: RowError): string {
  const where = e.column ? ` column "${e.column}":` : ''
  return `${file}:${e.line}:${where} ${e.message}`
}

/**
 * CSV bytes → COPY text lines for the staging table, records cut by CsvReader. The first record is
 * the header: it is mapped to fields (an error before any row is read); every later row is checked
 * without the database, and a bad one goes to the rejects instead of the staging table.
 */
class RowStream extends Transform {
  count = 0
  headerSeen = false
  /** Field keys present in the file. */
  present = new Set<string>()
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
    this.reader = new CsvReader(source.delimiter, source.encoding === 'latin1' ? 'latin1' : 'utf8', source.name)
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
      if (cross.empty) for (const { field } of this.mapping) values[field] = row[this.fields[field].key]
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

/**
 * Rejected rows: counted, the first ones kept for the message and --json, all of them written to
 * the errors file (the row as read, plus an `error` column) when there is one.
 */
class Rejects {
  count = 0
  kept: RowError[] = []
  private out?: Writable
  private stringifier?: Stringifier
  private closed = false
  private skipColumn = -1
  /** Field key → the file's header name for it. */
  private headers = new Map<string, string>()
  private headerOut: string[] = []

  constructor(private readonly errorsFile: string | undefined, private readonly stringify: typeof csvStringify) {}

  /** Called once the header is read: the errors file starts with it (without a previous `error` column). */
  start(headerOut: string[], skipColumn: number, headers: Map<string, string>): void {
    this.headerOut = headerOut
    this.skipColumn = skipColumn
    this.headers = headers
    if (!this.errorsFile) return
    this.out = createWriteStream(this.errorsFile)
    this.stringifier = this.stringify({ record_delimiter: '\n' })
    this.stringifier.pipe(this.out, { end: false })
    this.stringifier.write([...headerOut, 'error'])
  }

  add(line: number, record: string[], problems: { column?: string; value?: string; message: string }[]): void {
    this.count++
    for (const p of problems) if (this.kept.length < MAX_ERRORS_KEPT) this.kept.push({ line, ...p })
    if (!this.stringifier) return
    const reason = problems.map((p) => (p.column ? `${p.column}: ${p.message}` : p.message)).join('; ')
    this.stringifier.write([...(this.skipColumn < 0 ? record : record.filter((_, i) => i !== this.skipColumn)), reason])
  }

  /** Rows the set-based checks rejected: counted, sampled, and appended to the errors file. */
  async fromDatabase(
    trx: Knex.Transaction,
    connection: { query: (q: unknown) => unknown },
    copyTo: (sql: string) => unknown,
    present: Map<string, string>,
    tables: { rows: string; errors: string },
  ): Promise<number> {
    const { rows } = await trx.raw(`select count(distinct line)::int as n from ${tables.errors}`)
    const dbCount: number = rows[0].n
    if (dbCount > 0) {
      const { rows: sample } = await trx.raw(`select line, field, value, message from ${tables.errors} order by line, field limit ?`, [MAX_ERRORS_KEPT])
      for (const r of sample as { line: number; field: string | null; value: string | null; message: string }[]) {
        this.kept.push({
          line: r.line,
          ...(r.field ? { column: this.headers.get(r.field) ?? r.field } : {}),
          ...(r.value !== null ? { value: r.value } : {}),
          message: r.message,
        })
      }
      this.kept.sort((a, b) => a.line - b.line)
      this.kept = this.kept.slice(0, MAX_ERRORS_KEPT)
    }
    if (!this.stringifier || dbCount === 0) return dbCount
    const byHeader = new Map([...this.headers].map(([key, header]) => [header, key]))
    const columns = this.headerOut.map((h) => {
      const key = byHeader.get(h)
      return key && present.has(key) ? `s.${present.get(key)}` : 'null'
    })
    const label = [...this.headers].map(([key, header]) => `when ${quoteLiteral(key)} then ${quoteLiteral(`${header}: `)}`).join(' ')
    const sql = `copy (select ${[...columns, 'e.message'].join(', ')} from ${tables.rows} s
      join (select line, string_agg(coalesce(case field ${label} else field || ': ' end, '') || message, '; ' order by field) as message
            from ${tables.errors} group by line) e on e.line = s.line
      order by s.line) to stdout with (format csv)`
    await this.endStringifier()
    await pipeline(connection.query(copyTo(sql)) as NodeJS.ReadableStream, this.out!)
    this.closed = true
    return dbCount
  }

  private async endStringifier(): Promise<void> {
    const s = this.stringifier!
    await new Promise<void>((resolve, reject) => {
      s.once('end', resolve)
      s.once('error', reject)
      s.end()
    })
  }

  async close(): Promise<void> {
    if (this.closed || !this.out) return
    this.closed = true
    await this.endStringifier()
    await new Promise<void>((resolve, reject) => this.out!.end((err?: Error | null) => (err ? reject(err) : resolve())))
  }
}
