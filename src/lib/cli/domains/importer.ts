import { Args, Flags } from '@oclif/core'

import { dryRunFlag, tenantFlag } from '../flags.js'
import type { Progress } from '../progress.js'
import { BULK_LOAD_MIN_ROWS } from '../../importer/bulk-load.js'
import type { ImportInput, ImportProgress, ImportSummary } from '../../importer/run.js'
import { parseLookupFlags, splitValueMapFlags } from '../../importer/mapping/rules.js'
import { ENCODINGS, parseDelimiter, type Encoding } from '../../importer/source.js'
import { CASE_DUPLICATES, IMPORT_MODES, type CaseDuplicates, type ImportMode } from '../../importer/spec.js'

/** What the import and export commands share: flags, --map parsing, progress and summary text. */

export const importArgs = {
  file: Args.string({ description: 'CSV file, Excel workbook (.xlsx) or OpenDocument spreadsheet (.ods) to import; - reads a CSV from stdin', required: true }),
}

export const importFlags = {
  tenant: tenantFlag,
  'dry-run': dryRunFlag,
  mode: Flags.string({
    char: 'm',
    description: 'insert: new rows only (an existing key is an error); upsert: insert or update; update: existing rows only',
    options: [...IMPORT_MODES],
    default: 'insert',
  }),
  map: Flags.string({
    description: 'Read a CSV column as a field: "CSV column=field"; "CSV column=-" leaves it out; "City=billing_city,shipping_city" ' +
      'feeds several fields; "Discontinued=!active" inverts a true/false column ("=+active" keeps it). Repeat for several',
    multiple: true,
    helpValue: '<column=field>',
  }),
  mapping: Flags.string({
    description: 'A saved mapping (YAML or JSON: fields, ignore, constants, value maps, lookups, dateFormat, decimalComma); --map and the other flags add to it',
    helpValue: '<client.yaml>',
  }),
  'ignore-unknown': Flags.boolean({ description: 'Leave out every column that is no field (the summary lists them) instead of refusing the file' }),
  set: Flags.string({ description: 'Give a field one value for every row: "field=value"; repeat for several', multiple: true, helpValue: '<field=value>' }),
  'value-map': Flags.string({
    description: 'Replace cell values of a field: "field=FROM:TO,FROM:TO" (e.g. "uom=Stk:unit,pcs:unit"), or "field=@FILE.csv" ' +
      'for a CSV of two columns (the file\'s value, the field\'s value); values not listed are kept',
    multiple: true,
    helpValue: '<field=from:to,…>',
  }),
  lookup: Flags.string({
    description: 'A lookup table file: "NAME=FILE.csv" for a table of the mapping file, or "field=FILE.csv" to replace the field\'s values ' +
      '(the file\'s first column) by the second column, e.g. "category=categories.csv"; a value not in it rejects the row',
    multiple: true,
    helpValue: '<name=file.csv>',
  }),
  'decimal-comma': Flags.boolean({
    description: 'Decimals are written with a comma (12,5); a point is then refused, as 1.234 could be 1234. Default: yes for a ;-delimited file, no otherwise',
    allowNo: true,
  }),
  'date-format': Flags.string({ description: 'How the file writes dates, e.g. DD.MM.YYYY or M/D/YYYY (default YYYY-MM-DD)', helpValue: '<format>' }),
  template: Flags.boolean({
    description: 'Write a template to the file argument instead of importing (- for stdout): the header and example rows; the fields are explained on the terminal (or in --json)',
  }),
  sheet: Flags.string({
    description: 'The sheet of a workbook (.xlsx, .ods) to import: its name, or its position (1 is the first). Default: the first sheet. Not for CSV files',
    helpValue: '<name|number>',
  }),
  delimiter: Flags.string({ char: 'd', description: 'Field delimiter: , ; or tab (detected from the header line by default)', helpValue: '<char>' }),
  encoding: Flags.string({
    description: 'Character encoding of the file. auto: a byte order mark (UTF-8, UTF-16), else UTF-8 when the start of the file is valid UTF-8, ' +
      'else windows-1252 (older Excel\'s "CSV"). latin1 is ISO-8859-1 proper (a byte 0x80-0x9F is refused: such files are windows-1252)',
    options: [...ENCODINGS],
    default: 'auto',
  }),
  errors: Flags.string({ description: 'Write the rejected rows, with an error column, to this CSV file (fix it and import it again)', helpValue: '<file.csv>' }),
  'skip-invalid': Flags.boolean({ description: 'Import the valid rows and reject the invalid ones (default: any invalid row stops the import, nothing written)' }),
  'batch-ref': Flags.string({ description: 'Your reference for this import, kept in the summary and the audit log', helpValue: '<ref>' }),
  'case-duplicates': Flags.string({
    description: 'Keys that differ only in case (85123a and 85123A, in the file or against existing records): warn (they stay two records) or refuse those rows',
    options: [...CASE_DUPLICATES],
    default: 'warn',
  }),
}

/** For the entities whose large loads drop and rebuild indexes (bulk-load.ts). */
export const bulkLoadFlag = Flags.boolean({
  description:
    `For a large load (at least ${BULK_LOAD_MIN_ROWS.toLocaleString('en')} new rows and as many as the table holds) drop the indexes ` +
    'and rebuild them after the insert: about twice as fast, but the table is locked against reading and writing until the ' +
    'import commits. --no-bulk-load keeps the indexes (and the table readable) whatever the size',
  default: true,
  allowNo: true,
})

export const exportFlags = {
  tenant: tenantFlag,
  output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
}

export function progressText(p: ImportProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0
  const percent = p.size ? ` · ${Math.min(100, Math.floor((p.bytes * 100) / p.size))}%` : ''
  return `Importing… ${p.rows.toLocaleString('en')} rows · ${rate.toLocaleString('en')} rows/s${percent}`
}

export function summaryRecord(s: ImportSummary): Record<string, unknown> {
  return {
    file: s.file,
    ...(s.sheet !== null ? { sheet: s.sheet } : {}),
    mode: s.dryRun ? `${s.mode} (dry run: nothing written)` : s.mode,
    rows: s.rows,
    inserted: s.inserted,
    updated: s.updated,
    unchanged: s.unchanged,
    rejected: s.rejected,
    ...s.extra,
    ...(s.mappingFile ? { mapping: s.mappingFile } : {}),
    ...(s.ignored.length > 0 ? { ignored: s.ignored.join(', ') } : {}),
    ...(s.decimalComma ? { decimals: 'comma (12,5)' } : {}),
    ...(s.errorsFile ? { errorsFile: s.errorsFile } : {}),
    ...(s.batchRef ? { batchRef: s.batchRef } : {}),
    ...(s.trimmedCells > 0 ? { trimmedCells: s.trimmedCells } : {}),
    seconds: s.seconds,
    sha256: s.sha256,
  }
}

export interface ImportFlagValues {
  mode: string
  map?: string[]
  mapping?: string
  'ignore-unknown': boolean
  set?: string[]
  'value-map'?: string[]
  lookup?: string[]
  'decimal-comma'?: boolean
  'date-format'?: string
  delimiter?: string
  encoding: string
  sheet?: string
  errors?: string
  'skip-invalid': boolean
  'batch-ref'?: string
  'case-duplicates'?: string
  'dry-run': boolean
}

/** The service's input from the shared flags; progress goes to the spinner, the checksum to `onChecksum`. */
export function importInputFrom(file: string, flags: ImportFlagValues, progress: Progress, onChecksum: (sha256: string) => void): ImportInput {
  const valueMaps = splitValueMapFlags(flags['value-map'])
  return {
    file,
    mode: flags.mode as ImportMode,
    mapping: {
      file: flags.mapping,
      flags: {
        map: flags.map, set: flags.set, valueMap: valueMaps.inline, ignoreUnknown: flags['ignore-unknown'],
        decimalComma: flags['decimal-comma'], dateFormat: flags['date-format'],
      },
      lookups: parseLookupFlags(flags.lookup),
      valueMapFiles: valueMaps.files,
    },
    delimiter: parseDelimiter(flags.delimiter),
    encoding: flags.encoding as Encoding,
    sheet: flags.sheet,
    dryRun: flags['dry-run'],
    errorsFile: flags.errors,
    skipInvalid: flags['skip-invalid'],
    batchRef: flags['batch-ref'],
    caseDuplicates: (flags['case-duplicates'] ?? 'warn') as CaseDuplicates,
    onProgress: (p) => progress.update(progressText(p)),
    onChecksum,
  }
}
