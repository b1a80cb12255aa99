import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../errors.js'
import { detectDelimiter } from '../csv/dialect.js'
import { CsvReader } from '../csv/reader.js'
import { copyText } from '../db/copy-text.js'
import type { Staging } from '../db/staging.js'

/**
 * A physical count file (CSV: sku, location, lot/serial, counted) streamed into a temporary
 * table with COPY: cut by the CSV reader (BOM, quoted fields, ',' ';' or tab delimiters detected
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
  /** The staging table holding them. */
  table: string
}

/** Header names accepted for each column, compared case-insensitively without spaces or _ -. */
const HEADERS = {
  sku: ['sku', 'product', 'productsku', 'item', 'itemcode'],
  location: ['location', 'loc', 'bin', 'locationcode'],
  lot: ['lot', 'serial', 'lotserial', 'lotorserial', 'lotnumber', 'serialnumber', 'batch'],
  counted: ['counted', 'qty', 'quantity', 'count', 'countedqty', 'countedquantity'],
} as const

type Field = keyof typeof HEADERS

/** The count file, by COPY, into a staging table (its name in the result). */
export async function loadCountFile(trx: Knex.Transaction, staging: Staging, file: string): Promise<LoadedCountFile> {
  const head = await readHead(file)
  const delimiter = detectDelimiter(head) as Delimiter
  const table = await staging.create('count_lines', '(line integer not null, sku text, location text, lot text, counted text, problem text)')
  const hash = createHash('sha256')
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    },
  })
  const { from: copyFrom } = await import('pg-copy-streams')
  let records = 0
  const toCopy = new CopyRows(path.basename(file), delimiter, () => records++)
  const connection = await trx.client.acquireConnection()
  const copy = connection.query(copyFrom(`copy ${table} (line, sku, location, lot, counted, problem) from stdin`))
  await pipeline(createReadStream(file), hashing, toCopy, copy)
  if (!toCopy.sawHeader) {
    throw invalidData(`${path.basename(file)} is empty: a count file starts with a header line (sku, location, lot, counted)`)
  }
  await trx.raw(`analyze ${table}`)
  return { file, checksum: hash.digest('hex'), delimiter, records, table }
}

/** Turns the file's bytes into COPY text rows, mapping columns by the header; fields are trimmed. */
class CopyRows extends Transform {
  sawHeader = false
  private columns?: Record<Field, number | undefined>
  private width = 0
  private buffer = ''
  private readonly reader: CsvReader

  constructor(private readonly fileName: string, delimiter: Delimiter, private readonly counted: () => void) {
    super()
    this.reader = new CsvReader(delimiter, 'utf8', fileName)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void) {
    this.run(() => this.reader.feed(chunk, this.onRecord), callback)
  }

  override _flush(callback: (err?: Error | null) => void) {
    this.run(() => this.reader.end(this.onRecord), callback)
  }

  private run(work: () => void, callback: (err?: Error | null) => void): void {
    try {
      work()
    } catch (err) {
      callback(err as Error)
      return
    }
    if (this.buffer) this.push(this.buffer)
    this.buffer = ''
    callback()
  }

  private readonly onRecord = (record: string[], line: number): void => {
    if (record.length === 1 && record[0].trim() === '') return
    if (!this.columns) {
      this.columns = mapHeader(record.map((h) => h.trim()), this.fileName)
      this.width = record.length
      this.sawHeader = true
      return
    }
    this.counted()
    const at = (field: Field) => {
      const index = this.columns![field]
      const value = index === undefined ? undefined : record[index]?.trim()
      return value === undefined || value === '' ? null : value
    }
    const problem = record.length < this.width ? `expected ${this.width} fields, found ${record.length}` : null
    const values = [String(line), at('sku'), at('location'), at('lot'), at('counted'), problem]
    this.buffer += `${values.map(copyText).join('\t')}\n`
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

async function readHead(file: string): Promise<Buffer> {
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
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
