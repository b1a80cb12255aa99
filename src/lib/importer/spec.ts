import type { Knex } from 'knex'

import type { Staging } from '../db/staging.js'
import type { Problems } from '../validation.js'
import type { RowEncoder } from './row-stream.js'

export const IMPORT_MODES = ['insert', 'upsert', 'update'] as const
export type ImportMode = (typeof IMPORT_MODES)[number]

export type FieldType = 'text' | 'decimal' | 'integer' | 'boolean' | 'date'

/** One importable field: a CSV column, a text column of the staging table, a column of the export. */
export interface FieldSpec {
  /** The canonical header name (what export writes), e.g. 'sku', 'tax_class', 'attr:color'. */
  key: string
  /** Other header names accepted for it (compared case-, space-, '_' and '-'-insensitively). */
  aliases?: string[]
  /** The column must be in the file in this mode. */
  required?: (mode: ImportMode) => boolean
  /** Free text: a formula-looking value is guarded on export (leading '), and unguarded on import. */
  text?: boolean
  /**
   * What the cells hold, for the mapping (decimal comma, date formats, boolean inversion) and the
   * template; text when absent.
   */
  type?: FieldType
  /** One line for the template (--template): what the field is and how to write it. */
  doc?: string
  /** An example value for the template's rows. */
  example?: string
  /**
   * Check one cell and return its normalised text for the staging table; null for an empty cell;
   * undefined after recording a problem. Runs in the stream, so it never touches the database.
   */
  check(problems: Problems, value: string): string | null | undefined
}

/** What a spec sees after the rows are staged. */
export interface StagedImport {
  trx: Knex.Transaction
  mode: ImportMode
  dryRun: boolean
  /** How messages name the file (its path, or 'stdin'), its sha256, and the operator's batch reference. */
  file: string
  sha256: string
  batchRef: string | null
  /** Field key → staging column (only fields present in the file). */
  columns: Map<string, string>
  /** The staging table and the errors table: quoted names of staging tables in the tenant schema. */
  rows: string
  errors: string
  /** Further staging tables a merge needs: dropped with the import's own (see db/staging.ts). */
  staging: Staging
  /** Timing notes on stderr when ERP_IMPORT_TRACE is set (profiling large imports). */
  trace: (what: string) => void
  /** Keys that differ from another only in case (85123a, 85123A): warned about, or refused. */
  caseDuplicates: CaseDuplicates
  /** A warning for the operator, in the summary (and on stderr). */
  warn: (message: string) => void
}

export const CASE_DUPLICATES = ['warn', 'refuse'] as const
export type CaseDuplicates = (typeof CASE_DUPLICATES)[number]

export interface MergeCounts {
  inserted: number
  updated: number
  /** Entity-specific counts (categories created, prices set…). */
  extra?: Record<string, number>
}

/**
 * An importable entity: its fields, set-based checks of the staged rows (each bad row written to
 * the errors table with its line), and the set-based merge into the tenant's tables.
 */
export interface EntitySpec<Options = unknown> {
  entity: string
  /** The natural key field (sku, code, email…): required, unless the keyFrom columns are there. */
  key: string
  /** Columns from which checkRow builds the key when its column is absent (a category's parent and name). */
  keyFrom?: string[]
  fields(trx: Knex.Transaction, options: Options): Promise<FieldSpec[]>
  /**
   * Checks across cells of one row (an address needs its city…), after the cell checks passed;
   * `row` maps field keys to their staged values and may be normalised in place. In the stream.
   */
  checkRow?(problems: Problems, row: Record<string, string | null>, present: Set<string>): void
  validate(staged: StagedImport, options: Options): Promise<void>
  /**
   * The checks a unique index of the target enforces too (a key already taken, a value twice in
   * the file). Run with validate for dry runs, --skip-invalid or when other rows are rejected; else
   * only when the merge hits a unique violation (it is then rolled back), to name the rows.
   */
  validateUnique?(staged: StagedImport, options: Options): Promise<void>
  /** Write (or, in a dry run, count what would be written). Runs only over valid rows. */
  merge(staged: StagedImport, options: Options): Promise<MergeCounts>
  /** A load straight into the target tables, tried first where it may apply (direct.ts). */
  direct?: DirectLoad<Options>
}

/**
 * An entity's direct load: `open` decides, before any row is read, whether this import can go
 * straight into the target tables (an initial load, say), and returns the loader that does it.
 */
export interface DirectLoad<Options = unknown> {
  open(trx: Knex.Transaction, fields: FieldSpec[], options: Options, context: DirectContext): Promise<DirectLoader | undefined>
}

export interface DirectContext {
  trace: (what: string) => void
}

export interface DirectLoader {
  /**
   * Do the load. `streamRows` sends every valid row of the input, through `encode`, into the COPY
   * statement `copy`, and resolves with what was read. The loader (or its encoder) throws
   * NeedsStaging the moment the rows need the staged checks; so does streamRows for rows rejected.
   */
  load(streamRows: (copy: string, encode: RowEncoder) => Promise<RowsRead>): Promise<MergeCounts>
  /** Always called last: temporary files. */
  close(): Promise<void>
}

export interface RowsRead {
  /** Data rows read. */
  count: number
  /** Field keys present in the file. */
  present: ReadonlySet<string>
}

/** Thrown by a direct load that must step aside for the staged import: everything it did is rolled back. */
export class NeedsStaging extends Error {}

/**
 * A cell check that remembers its answers for valid values (up to 10,000 distinct ones), for
 * columns that repeat a few values over many rows. Invalid values are checked every time, so
 * that each row gets its problem.
 */
export function rememberValid(check: FieldSpec['check']): FieldSpec['check'] {
  const known = new Map<string, string | null>()
  return (problems, value) => {
    const seen = known.get(value)
    if (seen !== undefined) return seen
    const before = problems.list.length
    const result = check(problems, value)
    if (result !== undefined && problems.list.length === before) {
      if (known.size >= 10_000) known.clear()
      known.set(value, result)
    }
    return result
  }
}

/** The formula guard: a text cell starting with = + - @ tab or CR gets a leading quote on export. */
const FORMULA = /^'*[=+\-@\t\r]/
const GUARDED = /^'+[=+\-@\t\r]/

export function guardFormula(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value
}

/** The inverse of guardFormula: one leading quote removed from a guarded cell, nothing else. */
export function unguardFormula(value: string): string {
  return GUARDED.test(value) ? value.slice(1) : value
}

/** The SQL twin of guardFormula, for COPY … TO. */
export function guardFormulaSql(expression: string): string {
  return `case when ${expression} ~ '^''*[=+\\-@\\t\\r]' then '''' || ${expression} else ${expression} end`
}

/** Header names compare without case, spaces, '_' and '-'. */
export function normaliseHeader(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_-]+/g, '')
}

const TRUE = new Set(['true', 'yes', 'y', '1', 't'])
const FALSE = new Set(['false', 'no', 'n', '0', 'f'])

/** 'yes' → 'true'; '' → null; undefined after recording a problem. */
export function checkBoolean(problems: Problems, field: string, value: string): string | null | undefined {
  const text = value.trim().toLowerCase()
  if (text === '') return null
  if (TRUE.has(text)) return 'true'
  if (FALSE.has(text)) return 'false'
  problems.add(field, `"${value}" is not true or false (yes/no, 1/0 work too)`)
  return undefined
}
