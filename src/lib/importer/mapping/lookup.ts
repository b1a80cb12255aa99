import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'

import { ErpError, ErrorKind, invalidData, usageError } from '../../errors.js'
import { detectDelimiter } from '../../csv/dialect.js'
import { CsvReader } from '../../csv/reader.js'
import { normaliseHeader } from '../spec.js'
import { TABLE_NAME } from './file.js'
import type { TableSpec } from './rules.js'

/**
 * A lookup table: a second file the client sends (categories.csv: CategoryID, CategoryName,
 * Description) read once into a Map from its key column to its value column, so that the main
 * file's ids become erp references (CategoryID 3 → the category path "Confections"). Bounded:
 * a lookup is a code list, not a second import.
 */
export const MAX_LOOKUP_ROWS = 100_000
export const MAX_LOOKUP_BYTES = 32 * 1024 * 1024

export interface LookupTable {
  name: string
  file: string
  keyColumn: string
  valueColumn: string
  values: Map<string, string>
}

export function checkTableName(name: string, origin: string): void {
  if (!TABLE_NAME.test(name)) throw usageError(`${origin}: "${name}" is not a table name (letters, digits, _ and -, starting with a letter)`)
}

export async function readLookupTable(name: string, file: string, spec: TableSpec, encoding: 'utf8' | 'latin1'): Promise<LookupTable> {
  const shown = path.basename(file)
  let size: number
  try {
    const info = await stat(file)
    if (!info.isFile()) throw usageError(`${spec.origin}: ${file} is not a file`)
    size = info.size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Lookup file not found: ${file} (${spec.origin})`, { actions: [`Check the path given to ${spec.origin.split(' ')[0]}`], data: { file }, cause: err })
    }
    throw err
  }
  if (size > MAX_LOOKUP_BYTES) {
    throw invalidData(`${shown}: a lookup file is at most ${MAX_LOOKUP_BYTES / 1024 / 1024} MiB (${MAX_LOOKUP_ROWS.toLocaleString('en')} rows); this one has ${size} bytes`, { data: { file } })
  }
  const records: { fields: string[]; line: number }[] = []
  let header: string[] | undefined
  let reader: CsvReader | undefined
  const onRecord = (fields: string[], line: number) => {
    if (fields.length === 1 && fields[0] === '') return
    if (!header) {
      header = fields.map((f) => f.trim())
      return
    }
    if (records.length >= MAX_LOOKUP_ROWS) {
      throw invalidData(`${shown}:${line}: a lookup file has at most ${MAX_LOOKUP_ROWS.toLocaleString('en')} rows`, { data: { file, line } })
    }
    records.push({ fields, line })
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
    reader ??= new CsvReader(detectDelimiter(chunk as Buffer), encoding, shown)
    reader.feed(chunk as Buffer, onRecord)
  }
  reader?.end(onRecord)
  if (!header) throw invalidData(`${shown}: the lookup file is empty (expected a header line, then one row per key)`, { data: { file } })
  const columns = header
  const find = (column: string | undefined, fallback: number, role: string): number => {
    if (column === undefined) {
      if (fallback >= columns.length) throw invalidData(`${shown}: a lookup table needs a key and a value column; it has ${columns.length} column(s)`, { data: { file } })
      return fallback
    }
    const at = columns.findIndex((c) => normaliseHeader(c) === normaliseHeader(column))
    if (at < 0) throw invalidData(`${shown}: no column "${column}" (the ${role} column of ${spec.origin}); its columns are ${columns.join(', ')}`, { data: { file } })
    return at
  }
  const keyAt = find(spec.key, 0, 'key')
  const valueAt = find(spec.value, keyAt === 0 ? 1 : 0, 'value')
  const values = new Map<string, string>()
  const problems: string[] = []
  const firstLine = new Map<string, number>()
  for (const { fields, line } of records) {
    if (fields.length !== columns.length) {
      problems.push(`${shown}:${line}: has ${fields.length} field(s), the header has ${columns.length}`)
      continue
    }
    const key = fields[keyAt].trim()
    const value = fields[valueAt].trim()
    if (key === '') {
      problems.push(`${shown}:${line}: the key (${columns[keyAt]}) is empty`)
      continue
    }
    const before = values.get(key)
    if (before !== undefined && before !== value) {
      problems.push(`${shown}:${line}: key "${key}" is on line ${firstLine.get(key)} too, with another value`)
      continue
    }
    values.set(key, value)
    firstLine.set(key, line)
  }
  if (problems.length > 0) {
    throw invalidData(`${shown}: the lookup table ${name} is not valid: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; … and ${problems.length - 10} more` : ''}`, {
      data: { file, problems: problems.slice(0, 100) },
    })
  }
  return { name, file, keyColumn: columns[keyAt], valueColumn: columns[valueAt], values }
}
