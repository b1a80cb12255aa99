import type { Knex } from 'knex'

import { isErpError } from '../errors.js'
import { sqlStateOf } from '../db/sqlstate.js'
import { BULK_LOAD_MIN_ROWS } from './bulk-load.js'
import { openImport, readWarnings, streamRows, summarize, type ImportClock } from './read.js'
import type { RowStream } from './row-stream.js'
import type { ImportInput, ImportSummary } from './run.js'
import { NeedsStaging, type DirectLoad, type EntitySpec } from './spec.js'

/** A CSV row is at least one character and a line end. */
const MIN_CSV_ROW_BYTES = 2

/**
 * Direct load: the rows COPY'd straight into the target tables, with no staging table between.
 * Staging costs a second write of every row and an INSERT … SELECT that reads them back (1M
 * products: 3.4 s to stage, 2.5 s of set-based checks, then 4.7 s to insert what a COPY puts in
 * 2.8 s), which an initial load, where nothing is there to check against, does not need.
 *
 * It is tried only where it may apply: an insert, not a dry run, not --skip-invalid (whose
 * remaining rows would need the staged report), from a file (the staged import may have to read
 * it again), keys differing in case only warned about; the entity's loader decides the rest
 * (an empty table, say). It runs in a savepoint. A reason to stage, met in the stream or after it
 * (a rejected row, a key that may repeat, an unknown reference, a file too small for a bulk load),
 * is thrown as NeedsStaging; that, or an integrity violation from the database, rolls the direct
 * load back and the staged import runs, reading the file again, and gives its answer and its
 * row-by-row report. So the direct load only has to be right about clean files; for any other it
 * costs a read.
 */
export function directLoadMayApply(input: ImportInput): boolean {
  return (input.mode ?? 'insert') === 'insert' && !input.dryRun && !input.skipInvalid && input.file !== '-' &&
    (input.caseDuplicates ?? 'warn') === 'warn'
}

/** The import done by the spec's direct load, or undefined (nothing of it kept) when it must be staged. */
export async function importDirect<O>(
  trx: Knex.Transaction, spec: EntitySpec<O>, direct: DirectLoad<O>, input: ImportInput, options: O, clock: ImportClock,
): Promise<ImportSummary | undefined> {
  const opened = await openImport(trx, spec, input, options)
  const { size, format } = opened.source
  if (format === 'csv' && size !== null && size < BULK_LOAD_MIN_ROWS * MIN_CSV_ROW_BYTES) {
    // Most files are small: staged at once rather than read and loaded to find it out.
    clock.trace(`direct load stepped aside (${size} bytes: too few for a bulk load's ${BULK_LOAD_MIN_ROWS} rows)`)
    opened.source.streams[0].destroy()
    await opened.rejects.close()
    return undefined
  }
  await trx.raw('savepoint import_direct')
  const loader = await direct.open(trx, opened.fields, options, { trace: clock.trace }).catch(async (err) => {
    await opened.rejects.close().catch(() => undefined)
    throw err
  })
  if (!loader) {
    await stepAside(trx)
    await opened.rejects.close()
    return undefined
  }
  const connection = await trx.client.acquireConnection()
  let rows: RowStream | undefined
  try {
    const counts = await loader.load(async (copy, encode) => {
      rows = await streamRows(opened, spec, input, clock, connection, copy, encode)
      if (opened.rejects.count > 0) throw new NeedsStaging(`${opened.rejects.count} row(s) rejected`)
      if (rows.count < BULK_LOAD_MIN_ROWS) throw new NeedsStaging(`${rows.count} rows: too few for a bulk load`)
      return rows
    })
    await trx.raw('release savepoint import_direct')
    clock.trace('loaded directly')
    return summarize(opened, rows!, input, { dryRun: false, counts, rejected: 0, warnings: readWarnings(opened.source, rows!), started: clock.started })
  } catch (err) {
    if (!(err instanceof NeedsStaging) && !isIntegrityViolation(err)) throw err
    clock.trace(`direct load stepped aside (${err instanceof NeedsStaging ? err.message : sqlStateOf(err) ?? 'integrity'})`)
    await stepAside(trx)
    return undefined
  } finally {
    await loader.close()
    await opened.rejects.close().catch(() => undefined)
    await trx.client.releaseConnection(connection)
  }
}

/** Undo whatever the direct load did, and release what it locked. */
async function stepAside(trx: Knex.Transaction): Promise<void> {
  await trx.raw('rollback to savepoint import_direct')
  await trx.raw('release savepoint import_direct')
}

/** A class 23 error (unique, foreign key, check, not null), raised or wrapped by the bulk load's rebuild. */
function isIntegrityViolation(err: unknown): boolean {
  const state = sqlStateOf(err) ?? (isErpError(err) ? sqlStateOf(err.cause) : undefined)
  return state?.startsWith('23') ?? false
}
