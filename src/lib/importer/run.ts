import type { Knex } from 'knex'

import { invalidData, isErpError } from '../errors.js'
import { currentIo } from '../io.js'
import { reportsUniqueViolations } from '../db/citus.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { withStaging } from '../db/staging.js'
import type { Rejects, RowError } from './rejects.js'
import type { MappingInput } from './mapping/prepare.js'
import { directLoadMayApply, importDirect } from './direct.js'
import { openImport, readWarnings, streamRows, summarize, type ImportClock } from './read.js'
import type { PreviewRow } from './row-stream.js'
import type { Encoding, ReadEncoding, SourceFormat } from './source.js'
import type { CaseDuplicates, EntitySpec, ImportMode, MergeCounts, StagedImport } from './spec.js'

export type { RowError } from './rejects.js'

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
  /** CSV header → field (e.g. {'Item code': 'sku'}): the older form of mapping.flags.map. */
  map?: Record<string, string>
  /** How the file's columns become fields: a mapping file, flags, lookup tables (mapping/prepare.ts). */
  mapping?: MappingInput
  delimiter?: string
  encoding?: Encoding
  /** A workbook's sheet (.xlsx, .ods): its name or 1-based position; the first by default. */
  sheet?: string
  dryRun?: boolean
  /** Write rejected rows, with an `error` column, to this CSV file. */
  errorsFile?: string
  /** Import the valid rows and reject the others instead of writing nothing. */
  skipInvalid?: boolean
  /** The operator's reference for this import (kept in the summary and the audit log). */
  batchRef?: string
  /** Keys differing only in case: a warning (default), or refused rows. */
  caseDuplicates?: CaseDuplicates
  stdin?: NodeJS.ReadableStream
  onProgress?: (progress: ImportProgress) => void
  /** Called with the file's sha256 once it has been read (also when the import then fails). */
  onChecksum?: (sha256: string) => void
}

export interface ImportSummary {
  entity: string
  file: string
  /** csv, or the workbook's kind (xlsx, ods). */
  format: SourceFormat
  /** The workbook's sheet read; null for a CSV. */
  sheet: string | null
  mode: ImportMode
  dryRun: boolean
  batchRef: string | null
  sha256: string
  delimiter: string
  /** The encoding the file was read in (what auto chose). */
  encoding: ReadEncoding
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
  /** The mapping file used, if any. */
  mappingFile: string | null
  /** Columns the mapping left out. */
  ignored: string[]
  /** Decimals were read with a comma (12,5). */
  decimalComma: boolean
  /** A dry run: the first valid rows as the fields receive them, after the mapping. */
  preview?: PreviewRow[]
  /** Cells whose leading or trailing whitespace was removed (quoted or not). */
  trimmedCells: number
  /** What the operator should look at although nothing was refused (trimmed cells, keys differing only in case). */
  warnings: string[]
  seconds: number
}

const MAX_ERRORS_IN_MESSAGE = 10

/**
 * Import a CSV file (or a workbook's sheet) into a tenant inside the caller's transaction. Most
 * imports are staged: rows are checked in the stream, sent with COPY into a staging table (text
 * columns, with each row's line number), checked again with set-based queries (duplicates,
 * references, existing keys), then merged with set-based statements. A spec may first try a
 * direct load (direct.ts): the rows straight into the target tables, for an initial load that
 * needs none of the staged checks; it steps aside, leaving nothing, whenever they are needed.
 * Any rejected row makes the whole import fail, writing nothing (unless skipInvalid).
 */
export async function importCsv<O>(trx: Knex.Transaction, spec: EntitySpec<O>, input: ImportInput, options: O): Promise<ImportSummary> {
  const started = performance.now()
  const trace = process.env.ERP_IMPORT_TRACE
    ? (what: string) => currentIo().stderr.write(`[import] ${what} ${Math.round(performance.now() - started)} ms, heap ${mb(process.memoryUsage().heapUsed)} MB, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB\n`)
    : () => undefined
  if (spec.direct && directLoadMayApply(input)) {
    const direct = await importDirect(trx, spec, spec.direct, input, options, { started, trace })
    if (direct) return direct
  }
  return importStaged(trx, spec, input, options, { started, trace })
}

async function importStaged<O>(trx: Knex.Transaction, spec: EntitySpec<O>, input: ImportInput, options: O, clock: ImportClock): Promise<ImportSummary> {
  const { trace } = clock
  const opened = await openImport(trx, spec, input, options)
  const { mode, fields, source, rejects } = opened
  const { to: copyTo } = (await import('pg-copy-streams')).default

  // Room for the duplicate checks' hash tables over a million keys without spilling to disk.
  await trx.raw(`set local work_mem = '256MB'`)
  const columnOf = new Map(fields.map((f, i) => [f.key, `f${i}`]))
  return withStaging(trx, async (staging) => {
    const rowsTable = await staging.create('import_rows', `(line integer not null, ${fields.map((f) => `${columnOf.get(f.key)} text`).join(', ')})`)
    const errorsTable = await staging.create('import_errors', '(line integer not null, field text, value text, message text not null)')
    const connection = await trx.client.acquireConnection()
    trace('prepared')
    try {
      const columns = fields.map((f) => columnOf.get(f.key)).join(', ')
      const rows = await streamRows(opened, spec, input, clock, connection, `copy ${rowsTable} (line, ${columns}) from stdin`)
      trace('staged')
      const present = new Map([...rows.present].map((key) => [key, columnOf.get(key)!]))
      const warnings = readWarnings(source, rows)
      const staged: StagedImport = {
        trx, mode, dryRun: input.dryRun ?? false, file: source.name, sha256: source.sha256(), batchRef: input.batchRef ?? null,
        columns: present, rows: rowsTable, errors: errorsTable, staging, trace,
        caseDuplicates: input.caseDuplicates ?? 'warn', warn: (message) => warnings.push(message),
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

      const reread = rows.changesCells ? source.reread : undefined
      const dbRejects = await rejects.fromDatabase(trx, connection, copyTo as never, present, { rows: rowsTable, errors: errorsTable }, reread)
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
      return summarize(opened, rows, input, { dryRun: staged.dryRun, counts, rejected, warnings, started: clock.started })
    } finally {
      await rejects.close().catch(() => undefined)
      await trx.client.releaseConnection(connection)
    }
  })
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

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
