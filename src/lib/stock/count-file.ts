import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../cli/errors.js'

/**
 * A physical count file (CSV: sku, location, lot/serial, counted) streamed into a temporary
 * table with COPY: parsed by csv-parse (BOM, quoted fields, ',' ';' or tab delimiters detected
 * from the header), hashed on the way for the applied-counts register, never held in memory.
 * Rows that do not have the right shape are loaded too, with their problem, so the report can
 * name every bad line at once.
 */

export type Delimiter = ',' | ';' | '\t'

export interface LoadedCountFile {
  file: string
  /** sha256 of the file's bytes. */
  checksum: string
  delimiter: Delimiter
  /** Count lines loaded (the header excluded). */
  records: number
}

/** Header names accepted for each column, compared case-insensitively without spaces or _ -. */
const HEADERS = {
  sku: ['sku', 'product', 'productsku', 'item', 'itemcode'],
  location: ['location', 'loc', 'bin', 'locationcode'],
  lot: ['lot', 'serial', 'lotserial', 'lotorserial', 'lotnumber', 'serialnumber', 'batch'],
  counted: ['counted', 'qty', 'quantity', 'count', 'countedqty', 'countedquantity'],
} as const

type Field = keyof typeof HEADERS

export const COUNT_TABLE = 'count_lines'

export async function loadCountFile(trx: Knex.Transaction, file: string): Promise<LoadedCountFile> {
  const head = await readHead(file)
  const delimiter = detectDelimiter(head)
  await trx.raw(
    `create temp table ${COUNT_TABLE} (
       line integer not null, sku text, location text, lot text, counted text, problem text
     ) on commit drop`,
  )
  const hash = createHash('sha256')
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    },
  })
  const { parse } = await import('csv-parse')
  const { from: copyFrom } = await import('pg-copy-streams')
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    info: true,
  })
  let records = 0
  const toCopy = new CopyRows(path.basename(file), () => records++)
  const connection = await trx.client.acquireConnection()
  const copy = connection.query(copyFrom(`copy ${COUNT_TABLE} (line, sku, location, lot, counted, problem) from stdin`))
  try {
    await pipeline(createReadStream(file), hashing, parser, toCopy, copy)
  } catch (err) {
    const e = err as { code?: string; lines?: number; message?: string }
    if (err instanceof ErpError) throw err
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
      throw invalidData(`${path.basename(file)}:${e.lines ?? '?'}: ${e.message}`, {
        actions: ['Fix the CSV (quotes must be closed and doubled inside quoted fields) and run again'],
        data: { file, line: e.lines ?? null },
        cause: err,
      })
    }
    throw err
  }
  if (!toCopy.sawHeader) {
    throw invalidData(`${path.basename(file)} is empty: a count file starts with a header line (sku, location, lot, counted)`)
  }
  await trx.raw(`analyze ${COUNT_TABLE}`)
  return { file, checksum: hash.digest('hex'), delimiter, records }
}

/** Turns parsed records into COPY text rows, mapping columns by the header. */
class CopyRows extends Transform {
  sawHeader = false
  private columns?: Record<Field, number | undefined>
  private width = 0
  private buffer = ''

  constructor(private readonly fileName: string, private readonly counted: () => void) {
    super({ writableObjectMode: true })
  }

  override _transform(chunk: { record: string[]; info: { lines: number } }, _encoding: BufferEncoding, callback: (err?: Error | null) => void) {
    try {
      const { record, info } = chunk
      if (!this.columns) {
        this.columns = mapHeader(record, this.fileName)
        this.width = record.length
        this.sawHeader = true
        return callback()
      }
      this.counted()
      const at = (field: Field) => {
        const index = this.columns![field]
        const value = index === undefined ? undefined : record[index]
        return value === undefined || value === '' ? null : value
      }
      const problem = record.length < this.width ? `expected ${this.width} fields, found ${record.length}` : null
      const values = [String(info.lines), at('sku'), at('location'), at('lot'), at('counted'), problem]
      this.buffer += `${values.map(copyText).join('\t')}\n`
      if (this.buffer.length >= 65_536) {
        this.push(this.buffer)
        this.buffer = ''
      }
      callback()
    } catch (err) {
      callback(err as Error)
    }
  }

  override _flush(callback: (err?: Error | null) => void) {
    if (this.buffer) this.push(this.buffer)
    callback()
  }
}

function mapHeader(header: string[], fileName: string): Record<Field, number | undefined> {
  const normalised = header.map((h) => h.toLowerCase().replace(/[\s_\-/]/g, ''))
  const find = (field: Field) => {
    const index = normalised.findIndex((h) => (HEADERS[field] as readonly string[]).includes(h))
    return index < 0 ? undefined : index
  }
  const columns = { sku: find('sku'), location: find('location'), lot: find('lot'), counted: find('counted') }
  const missing = (['sku', 'location', 'counted'] as const).filter((f) => columns[f] === undefined)
  if (missing.length) {
    throw invalidData(`${fileName}:1: the header has no ${missing.join(', ')} column (found: ${header.join(', ')})`, {
      actions: ['The first line names the columns: sku,location,lot,counted (lot holds the lot or serial number; it may be left out)'],
      data: { line: 1, missing, header },
    })
  }
  return columns
}

/** PostgreSQL COPY text format: \N for null, backslash escapes for the separators. */
function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
}

async function readHead(file: string): Promise<string> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, 'r')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Count file not found: ${file}`, { actions: ['Check the path given to --counts'], cause: err })
    }
    throw err
  }
  try {
    const buffer = Buffer.alloc(65_536)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '')
  } finally {
    await handle.close()
  }
}

/** The delimiter used most often outside quotes on the header line. */
export function detectDelimiter(head: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 }
  let quoted = false
  for (const ch of head) {
    if (ch === '"') quoted = !quoted
    else if (!quoted && (ch === '\n' || ch === '\r')) break
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++
  }
  return (Object.entries(counts) as Array<[Delimiter, number]>).reduce((best, entry) => (entry[1] > best[1] ? entry : best), [',', 0] as [Delimiter, number])[0]
}
