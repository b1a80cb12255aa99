import { createHash, type Hash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable, type TransformCallback } from 'node:stream'

import { ErpError, ErrorKind, invalidData, usageError } from '../errors.js'
import { currentIo } from '../io.js'
import { DELIMITERS, detectDelimiter } from '../csv/dialect.js'
import { CsvReader } from '../csv/reader.js'
import type { CellError } from '../workbook/rows.js'

/**
 * The bytes of a CSV file (or stdin) turned into text: checksummed, metered for progress, and
 * decoded to UTF-8 for the CSV reader. `auto` (the default) reads the byte order mark first (UTF-8,
 * UTF-16 LE/BE), then takes a first chunk that is valid UTF-8 as UTF-8 (as is ASCII), UTF-16 without
 * a mark by its zero bytes, and anything else as Windows-1252 (what Excel writes for "CSV" on Western
 * systems). Decoding other than UTF-8's own check is iconv-lite's. No character is guessed: a byte
 * invalid in the encoding (UTF-8, or one of the five Windows-1252 leaves undefined), or a C1 control
 * character read as Latin-1 (which Windows-1252 files put where € “ ” – are), is an error naming
 * the line.
 */
export const ENCODINGS = ['auto', 'utf8', 'utf16le', 'utf16be', 'windows-1252', 'latin1'] as const
export type Encoding = (typeof ENCODINGS)[number]
/** An encoding read, once `auto` has chosen. */
export type ReadEncoding = Exclude<Encoding, 'auto'>

export interface SourceInput {
  /** A file path, or '-' for stdin. */
  file: string
  encoding?: Encoding
  /** ',' ';' or tab; detected from the header line when absent. */
  delimiter?: string
  /** A workbook's sheet: its name, or its 1-based position (the first by default). */
  sheet?: string
  /** Stdin substitute (tests, services called without a process). */
  stdin?: Readable
}

export type SourceFormat = 'csv' | WorkbookFormat
export type WorkbookFormat = 'xlsx' | 'ods'

/** A record and where it is (a CSV's line, a sheet's row), with the cells a workbook holds as errors. */
export type OnRow = (fields: string[], line: number, cellErrors?: CellError[]) => void

/** Cuts the chunks of the source's last stream into records: CsvReader for CSV text, a batch reader for a workbook. */
export interface RecordCutter {
  feed(chunk: never, onRecord: OnRow): void
  end(onRecord: OnRow): void
}

export interface OpenedSource {
  /** How errors name the input: its path, or 'stdin'; a workbook's with its sheet, `book.xlsx [Sheet1]`. */
  readonly name: string
  /** The path, or 'stdin'. */
  file: string
  format: SourceFormat
  /** The sheet read (a workbook's; an .ods names it once its table is reached). */
  sheet(): string | null
  /** Size in bytes when known (a regular file; a workbook's sheet part), for the percentage. */
  size: number | null
  delimiter: string
  encoding: ReadEncoding
  /** The input as read, then checked and decoded: pipeline(...streams, rows, …). */
  streams: [Readable, ...Transform[]]
  /** What cuts the last stream's chunks into records (a new one per read). */
  records(): RecordCutter
  /** Bytes read so far. */
  bytesRead(): number
  /** sha256 of every byte of the file, once the stream has ended. */
  sha256(): string
  /** The data records again, as read the first time (the rejects file of a mapping that changes cells); not for stdin. */
  reread?: (onRecord: OnRow) => Promise<void>
}

/** Workbooks by their name; a zip's magic bytes make any file one. */
const WORKBOOK_EXTENSIONS: Record<string, WorkbookFormat> = { '.xlsx': 'xlsx', '.xlsm': 'xlsx', '.ods': 'ods' }
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1')
/** An OLE compound file: Excel 97–2003 (.xls), or any Office file encrypted with a password. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0])

export function parseDelimiter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';' }
  const delimiter = named[value.toLowerCase()] ?? value
  if (!(DELIMITERS as readonly string[]).includes(delimiter)) {
    throw usageError(`--delimiter must be , ; or tab (got "${value}")`)
  }
  return delimiter
}

export async function openSource(input: SourceInput): Promise<OpenedSource> {
  let raw: Readable
  let name: string
  let size: number | null = null
  if (input.file === '-') {
    if (input.sheet !== undefined) throw usageError('--sheet reads a workbook (.xlsx, .ods), which is read from a file, not stdin', { actions: ['Pass the workbook\'s path instead of -'] })
    if (!input.stdin && currentIo().stdin.isTTY) {
      throw usageError('"-" reads the CSV from stdin, but stdin is a terminal', { actions: ['Pipe the file in (erp import products - < products.csv), or pass its path'] })
    }
    raw = input.stdin ?? currentIo().stdin
    name = 'stdin'
  } else {
    name = input.file
    try {
      const info = await stat(input.file)
      if (!info.isFile()) throw usageError(`${input.file} is not a file`)
      size = info.size
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ErpError(ErrorKind.FILE_NOT_FOUND, `File not found: ${input.file}`, {
          actions: ['Check the path, or pass - to read the CSV from stdin'],
          data: { file: input.file },
          cause: err,
        })
      }
      throw err
    }
    const workbook = await workbookFormat(input.file)
    if (workbook) {
      const flag = input.encoding !== undefined && input.encoding !== 'auto' ? '--encoding' : input.delimiter !== undefined ? '--delimiter' : undefined
      if (flag) throw usageError(`${flag} is for CSV files; ${input.file} is a workbook (${workbook}), whose cells are read as they are typed`, { actions: [`Leave ${flag} out`] })
      const { openWorkbookSource } = await import('./workbook-source.js')
      return openWorkbookSource(input.file, workbook === 'zip' ? undefined : workbook, input.sheet)
    }
    if (input.sheet !== undefined) {
      throw usageError(`--sheet is for workbooks (.xlsx, .ods); ${input.file} is read as CSV`, { actions: ['Leave --sheet out, or pass the workbook itself'] })
    }
    raw = createReadStream(input.file, { highWaterMark: 1 << 20 })
  }

  const first = await peek(raw)
  if (name === 'stdin' && first && first.subarray(0, 4).equals(ZIP_MAGIC)) {
    throw usageError('stdin holds a zip (an Excel or OpenDocument workbook?), which erp reads only from a file: a zip is read from its end', {
      actions: ['Pass the workbook\'s path instead of -'],
    })
  }
  const marked = byteOrderMark(first)
  if (first === null || first.length === 0 || (marked && first.length <= marked.length)) {
    throw invalidData(`${name}: the file is empty (expected a header line, then one row per line)`, { data: { file: name } })
  }
  const encoding = chooseEncoding(input.encoding ?? 'auto', first, marked, name)
  const delimiter = input.delimiter ?? detectDelimiter(first)
  const decoder = encoding === 'utf8' ? new Utf8Check(name, input.encoding !== 'utf8') : await transcoder(encoding, name)
  return {
    name,
    file: name,
    format: 'csv',
    sheet: () => null,
    size,
    delimiter,
    encoding,
    streams: [raw, decoder],
    // The decoder hands on UTF-8, whatever the file's encoding.
    records: () => new CsvReader(delimiter, 'utf8', name),
    bytesRead: () => decoder.bytes,
    sha256: () => decoder.digest(),
    ...(name === 'stdin' ? {} : { reread: (onRecord: OnRow) => rereadCsv(input.file, delimiter, encoding, onRecord) }),
  }
}

/**
 * Whether a file is a workbook: by its extension (then it must be a zip), or by a zip's magic
 * bytes under any name ('zip': which kind is read from its parts).
 */
async function workbookFormat(file: string): Promise<WorkbookFormat | 'zip' | undefined> {
  const byName = WORKBOOK_EXTENSIONS[path.extname(file).toLowerCase()]
  const handle = await open(file, 'r')
  const magic = Buffer.alloc(4)
  try {
    await handle.read(magic, 0, 4, 0)
  } finally {
    await handle.close()
  }
  const zip = magic.equals(ZIP_MAGIC)
  if (magic.equals(OLE_MAGIC)) {
    throw invalidData(`${file} is an old Excel workbook (.xls) or a password-protected one, which erp does not read`, {
      actions: ['Open it in Excel or LibreOffice (remove the password if it has one) and save it as .xlsx, or as CSV UTF-8'],
      data: { file },
    })
  }
  if (byName && !zip) {
    throw invalidData(`${file} is named ${path.extname(file)} but is not a workbook (no zip inside: ${magic.subarray(0, 2).every((b) => b >= 0x20 && b < 0x7f) ? 'it starts like text, a CSV?' : 'damaged or another format'})`, {
      actions: ['If it is a CSV, rename it to .csv', 'Else open it in Excel or LibreOffice and save it again'],
      data: { file },
    })
  }
  return zip ? (byName ?? 'zip') : undefined
}

/** The CSV's records again, as read the first time (the header and blank lines left out). */
async function rereadCsv(file: string, delimiter: string, encoding: ReadEncoding, onRecord: OnRow): Promise<void> {
  const reader = new CsvReader(delimiter, encoding === 'latin1' ? 'latin1' : 'utf8', file)
  let header = true
  const each: OnRow = (record, line) => {
    if (record.length === 1 && record[0] === '') return
    if (header) header = false
    else onRecord(record, line)
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) reader.feed(chunk as Buffer, each)
  reader.end(each)
}


/** The first chunk of a stream, put back so the pipeline still reads it. */
function peek(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      cleanup()
      const chunk = stream.read() as Buffer | null
      if (chunk !== null) stream.unshift(chunk)
      resolve(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(null)
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const cleanup = () => {
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('error', onError)
    }
    stream.on('readable', onReadable)
    stream.on('end', onEnd)
    stream.on('error', onError)
  })
}

const BOMS: { encoding: ReadEncoding; bytes: number[] }[] = [
  { encoding: 'utf8', bytes: [0xef, 0xbb, 0xbf] },
  { encoding: 'utf16le', bytes: [0xff, 0xfe] },
  { encoding: 'utf16be', bytes: [0xfe, 0xff] },
]

/** The byte order mark the input starts with, if any. */
function byteOrderMark(first: Buffer | null): { encoding: ReadEncoding; length: number } | undefined {
  if (first === null) return undefined
  const found = BOMS.find((b) => b.bytes.every((byte, i) => first[i] === byte))
  return found && { encoding: found.encoding, length: found.bytes.length }
}

/**
 * The encoding to read with: the one asked for, or (auto) the byte order mark's, UTF-16 by its zero
 * bytes, UTF-8 when the first chunk is valid UTF-8, else Windows-1252. A mark that contradicts the
 * encoding asked for is an error: the file says what it is.
 */
function chooseEncoding(asked: Encoding, first: Buffer, marked: { encoding: ReadEncoding } | undefined, name: string): ReadEncoding {
  if (marked && asked !== 'auto' && asked !== marked.encoding) {
    throw usageError(`${name} starts with a ${marked.encoding === 'utf8' ? 'UTF-8' : `UTF-16 ${marked.encoding.slice(5).toUpperCase()}`} byte order mark, but --encoding ${asked} was given`, {
      actions: ['Leave --encoding out (auto reads the mark), or pass the encoding the mark names'],
      data: { file: name, encoding: marked.encoding },
    })
  }
  if (asked !== 'auto') return asked
  if (marked) return marked.encoding
  const utf16 = utf16ByZeros(first)
  if (utf16) return utf16
  return isUtf8(first.subarray(0, completeUtf8Length(first))) ? 'utf8' : 'windows-1252'
}

/** UTF-16 without a mark: text with Latin letters has a zero byte in every other position. */
function utf16ByZeros(b: Buffer): ReadEncoding | undefined {
  const pairs = Math.min(b.length >> 1, 4096)
  if (pairs < 2) return undefined
  let evenZeros = 0
  let oddZeros = 0
  for (let i = 0; i < pairs; i++) {
    if (b[2 * i] === 0) evenZeros++
    if (b[2 * i + 1] === 0) oddZeros++
  }
  if (oddZeros >= pairs * 0.4 && evenZeros === 0) return 'utf16le'
  if (evenZeros >= pairs * 0.4 && oddZeros === 0) return 'utf16be'
  return undefined
}

/** Hashes and counts the bytes on the way through: what every decoder shares. */
abstract class Metered extends Transform {
  bytes = 0
  protected readonly hash: Hash = createHash('sha256')
  private hex?: string
  /** Newlines passed so far (in the text), for the line of an error. */
  protected newlines = 0

  constructor(protected readonly name: string) {
    super({ highWaterMark: 1 << 20 })
  }

  digest(): string {
    this.hex ??= this.hash.digest('hex')
    return this.hex
  }
}

/**
 * UTF-8: the bytes pass through (the CSV reader decodes them), checked with the native validator,
 * chunks cut at character boundaries. `chosen` says the encoding was detected, not asked for.
 */
class Utf8Check extends Metered {
  private carry: Buffer | null = null

  constructor(name: string, private readonly chosen: boolean) {
    super(name)
  }

  override _transform(input: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(input)
    let chunk = this.carry ? Buffer.concat([this.carry, input]) : input
    this.carry = null
    const cut = completeUtf8Length(chunk)
    if (cut < chunk.length) {
      this.carry = chunk.subarray(cut)
      chunk = chunk.subarray(0, cut)
    }
    if (!isUtf8(chunk)) {
      done(this.invalidUtf8(chunk))
      return
    }
    this.bytes += chunk.length
    this.newlines += countNewlines(chunk)
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    if (this.carry) {
      done(this.invalidUtf8(this.carry))
      return
    }
    done()
  }

  private invalidUtf8(chunk: Buffer): ErpError {
    const at = firstInvalidUtf8(chunk)
    const line = this.newlines + countNewlines(chunk.subarray(0, at)) + 1
    const why = this.chosen ? ' (its start is, so it was read as UTF-8)' : ''
    return invalidData(`${this.name}:${line}: the file is not valid UTF-8${why} (byte offset ${this.bytes + at})`, {
      actions: ['If the file was saved by older Excel ("CSV" rather than "CSV UTF-8"), pass --encoding windows-1252', 'Or save it again as "CSV UTF-8"'],
      data: { file: this.name, line, byteOffset: this.bytes + at },
    })
  }
}

/** Code points a decoded text must not hold: what an undefined byte decodes to, or C1 controls for Latin-1. */
const UNDEFINED: Record<Exclude<ReadEncoding, 'utf8'>, RegExp | null> = {
  'windows-1252': /\ufffd/,
  latin1: /[\u0080-\u009f]/,
  utf16le: null,
  utf16be: null,
}

type IconvDecoder = { write(b: Buffer): string; end(): string | undefined }

/** Another encoding: decoded by iconv-lite (byte order mark dropped), passed on as UTF-8. */
async function transcoder(encoding: Exclude<ReadEncoding, 'utf8'>, name: string): Promise<Metered> {
  const iconv = (await import('iconv-lite')).default
  return new Transcoder(encoding, name, iconv.getDecoder(encoding === 'windows-1252' ? 'windows1252' : encoding) as IconvDecoder)
}

class Transcoder extends Metered {
  constructor(private readonly encoding: Exclude<ReadEncoding, 'utf8'>, name: string, private readonly decoder: IconvDecoder) {
    super(name)
  }

  override _transform(input: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(input)
    this.bytes += input.length
    this.pass(this.decoder.write(input), done)
  }

  override _flush(done: TransformCallback): void {
    this.pass(this.decoder.end() ?? '', done)
  }

  private pass(text: string, done: TransformCallback): void {
    const refused = UNDEFINED[this.encoding]
    const at = refused ? text.search(refused) : -1
    if (at !== -1) {
      done(this.undefinedCharacter(text, at))
      return
    }
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.newlines++
    done(null, text === '' ? undefined : Buffer.from(text, 'utf8'))
  }

  private undefinedCharacter(text: string, at: number): ErpError {
    let line = this.newlines + 1
    for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++
    const latin1 = this.encoding === 'latin1'
    const code = text.charCodeAt(at).toString(16).toUpperCase().padStart(2, '0')
    const message = latin1
      ? `${this.name}:${line}: byte 0x${code} read as Latin-1 is an invisible control character, not text`
      : `${this.name}:${line}: the file has a byte that is no character in Windows-1252`
    return invalidData(message, {
      actions: latin1
        ? ['Files from Excel and Windows are Windows-1252 (where that byte is € “ ” – …): pass --encoding windows-1252, or leave --encoding out']
        : ['Check the encoding the file was saved in (UTF-8? UTF-16?) and pass it with --encoding', 'Or save it again as "CSV UTF-8"'],
      data: { file: this.name, line, encoding: this.encoding },
    })
  }
}

/** The length of the chunk without a multi-byte character cut off at its end. */
function completeUtf8Length(b: Buffer): number {
  for (let back = 1; back <= 3 && back <= b.length; back++) {
    const c = b[b.length - back]
    if ((c & 0xc0) === 0x80) continue
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1
    return need > back ? b.length - back : b.length
  }
  return b.length
}

function countNewlines(buffer: Buffer): number {
  let n = 0
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) n++
  return n
}

/** Where the first invalid UTF-8 sequence starts (chunk length when the problem is a cut-off end). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1
    if (n < 0) return i
    if (i + n >= b.length) return i
    for (let k = 1; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i
    i += n + 1
  }
  return b.length
}
