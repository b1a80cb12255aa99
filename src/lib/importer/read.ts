import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { prepareMapping } from './mapping/prepare.js'
import { Rejects } from './rejects.js'
import { RowStream, type RowEncoder } from './row-stream.js'
import type { ImportInput, ImportSummary } from './run.js'
import { openSource, type OpenedSource } from './source.js'
import type { EntitySpec, FieldSpec, ImportMode, MergeCounts } from './spec.js'

/**
 * The read every import does, staged or direct: the input opened with its mapping, its rows
 * checked in the stream and sent with COPY where the import says, and the summary it ends with.
 */

/** What both ways of importing share: the clock and the trace. */
export interface ImportClock {
  started: number
  trace: (what: string) => void
}

/** The input opened and its mapping read: what a read of the rows needs. */
export interface OpenedImport {
  entity: string
  mode: ImportMode
  fields: FieldSpec[]
  source: OpenedSource
  mapping: Awaited<ReturnType<typeof prepareMapping>>
  rejects: Rejects
}

/** The mapping and its lookup tables, read and checked before a byte of the data; then the input. */
export async function openImport<O>(trx: Knex.Transaction, spec: EntitySpec<O>, input: ImportInput, options: O): Promise<OpenedImport> {
  const fields = await spec.fields(trx, options)
  const mapping = await prepareMapping(spec.entity, input.mapping ?? {}, input.map ?? {}, input.encoding === 'latin1' ? 'latin1' : 'utf8')
  const source = await openSource({ file: input.file, encoding: input.encoding, delimiter: input.delimiter, sheet: input.sheet, stdin: input.stdin as never })
  const { stringify } = await import('csv-stringify')
  return { entity: spec.entity, mode: input.mode ?? 'insert', fields, source, mapping, rejects: new Rejects(input.errorsFile, stringify) }
}

/**
 * Every row of the input, checked in the stream, through `encode` into the COPY statement `copy` on
 * `connection` (the transaction's own), with progress reports; refuses an empty file or sheet.
 */
export async function streamRows<O>(
  opened: OpenedImport, spec: EntitySpec<O>, input: ImportInput, clock: ImportClock,
  connection: { query: (q: unknown) => unknown }, copy: string, encode?: RowEncoder,
): Promise<RowStream> {
  const { source, fields, mode, mapping, rejects } = opened
  const { from: copyFrom } = (await import('pg-copy-streams')).default
  const rows = new RowStream(source, spec, fields, mode, mapping.rules, mapping.tables, rejects, encode)
  let lastProgress = 0
  const meter = setInterval(() => {
    if (!input.onProgress) return
    const now = performance.now()
    if (now - lastProgress < 200) return
    lastProgress = now
    input.onProgress({ rows: rows.count, bytes: source.bytesRead(), size: source.size, elapsedMs: now - clock.started })
  }, 250)
  try {
    await pipeline([...source.streams, rows, abandonQuietly(connection.query(copyFrom(copy)) as Writable)])
  } finally {
    clearInterval(meter)
    input.onChecksum?.(source.sha256())
  }
  const what = source.format === 'csv' ? { empty: 'the file is empty (expected a header line, then one row per line)', add: 'Add one row per line under the header' }
    : { empty: 'the sheet is empty (expected a header row, then one row per record)', add: 'Add one row per record under the header, or pass --sheet for another sheet' }
  if (!rows.headerSeen) throw invalidData(`${source.name}: ${what.empty}`)
  if (rows.count === 0) {
    throw invalidData(`${source.name}: the ${source.format === 'csv' ? 'file' : 'sheet'} has a header but no rows`, { actions: [what.add] })
  }
  input.onProgress?.({ rows: rows.count, bytes: source.bytesRead(), size: source.size, elapsedMs: performance.now() - clock.started })
  return rows
}

/** The warnings every import gives from its read: cells trimmed. */
export function readWarnings(source: OpenedSource, rows: RowStream): string[] {
  if (rows.trimmed.count === 0) return []
  const first = rows.trimmed.first!
  return [`${rows.trimmed.count} cell(s) had spaces before or after the text, which were removed (quoted or not; first: ${source.name}:${first.line} column "${first.column}")`]
}

/** The summary of a finished import (or dry run). */
export function summarize(opened: OpenedImport, rows: RowStream, input: ImportInput, result: {
  dryRun: boolean; counts: MergeCounts; rejected: number; warnings: string[]; started: number
}): ImportSummary {
  const { source, mapping, rejects } = opened
  const valid = rows.count - result.rejected
  return {
    entity: opened.entity,
    file: source.file,
    format: source.format,
    sheet: source.sheet(),
    mode: opened.mode,
    dryRun: result.dryRun,
    batchRef: input.batchRef ?? null,
    sha256: source.sha256(),
    delimiter: source.delimiter,
    encoding: source.encoding,
    rows: rows.count,
    inserted: result.counts.inserted,
    updated: result.counts.updated,
    unchanged: valid - result.counts.inserted - result.counts.updated,
    rejected: result.rejected,
    extra: result.counts.extra ?? {},
    errorsFile: input.errorsFile ?? null,
    errors: rejects.kept,
    mappingFile: mapping.rules.file ?? null,
    ignored: rows.ignored,
    decimalComma: rows.decimalComma,
    ...(result.dryRun ? { preview: rows.preview } : {}),
    trimmedCells: rows.trimmed.count,
    warnings: result.warnings,
    seconds: Math.round(performance.now() - result.started) / 1000,
  }
}

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

