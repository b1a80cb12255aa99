import { createHash, type Hash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Transform, type Readable, type TransformCallback } from 'node:stream'

import { ErpError, ErrorKind, invalidData, usageError } from '../errors.js'
import { currentIo } from '../io.js'
import { DELIMITERS, detectDelimiter, hasBom } from '../csv/dialect.js'

/**
 * The bytes of a CSV file (or stdin) turned into text: checksummed, metered for progress, decoded
 * from UTF-8 (invalid bytes are an error naming the line) or Latin-1, BOM removed.
 */
export const ENCODINGS = ['utf8', 'latin1'] as const
export type Encoding = (typeof ENCODINGS)[number]

export interface SourceInput {
  /** A file path, or '-' for stdin. */
  file: string
  encoding?: Encoding
  /** ',' ';' or tab; detected from the header line when absent. */
  delimiter?: string
  /** Stdin substitute (tests, services called without a process). */
  stdin?: Readable
}

export interface OpenedSource {
  /** How errors name the file: its path, or 'stdin'. */
  name: string
  /** Size in bytes when known (a regular file), for the percentage. */
  size: number | null
  delimiter: string
  encoding: Encoding
  /** The input as read: pipe it into `text` (pipeline(raw, text, …)). */
  raw: Readable
  /** The bytes, checked (UTF-8) and metered: the CSV reader cuts them into fields. */
  text: Transform
  /** Bytes read so far. */
  bytesRead(): number
  /** sha256 of every byte read, once the stream has ended. */
  sha256(): string
}

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
  const encoding = input.encoding ?? 'utf8'
  let raw: Readable
  let name: string
  let size: number | null = null
  if (input.file === '-') {
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
    raw = createReadStream(input.file, { highWaterMark: 1 << 20 })
  }

  const first = await peek(raw)
  if (first === null || first.length === 0 || (first.length <= 3 && hasBom(first))) {
    throw invalidData(`${name}: the file is empty (expected a header line, then one row per line)`, { data: { file: name } })
  }
  const delimiter = input.delimiter ?? detectDelimiter(first)
  const decoder = new Decoder(encoding, name)
  return {
    name,
    size,
    delimiter,
    encoding,
    raw,
    text: decoder,
    bytesRead: () => decoder.bytes,
    sha256: () => decoder.digest(),
  }
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

/**
 * Passes the bytes through (the CSV reader decodes them), hashing and counting them on the way. UTF-8
 * input is checked with the native validator, chunks cut at character boundaries.
 */
class Decoder extends Transform {
  bytes = 0
  private readonly hash: Hash = createHash('sha256')
  private hex?: string
  private newlines = 0
  private carry: Buffer | null = null

  constructor(private readonly encoding: Encoding, private readonly name: string) {
    super({ highWaterMark: 1 << 20 })
  }

  digest(): string {
    this.hex ??= this.hash.digest('hex')
    return this.hex
  }

  override _transform(input: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(input)
    let chunk = this.carry ? Buffer.concat([this.carry, input]) : input
    this.carry = null
    if (this.encoding === 'utf8') {
      const cut = completeUtf8Length(chunk)
      if (cut < chunk.length) {
        this.carry = chunk.subarray(cut)
        chunk = chunk.subarray(0, cut)
      }
      if (!isUtf8(chunk)) {
        done(this.invalidUtf8(chunk))
        return
      }
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
    return invalidData(`${this.name}:${line}: the file is not valid UTF-8 (byte offset ${this.bytes + at})`, {
      actions: ['If the file was saved as Latin-1 / Windows-1252 (older Excel), pass --encoding latin1', 'Or save it again as "CSV UTF-8"'],
      data: { file: this.name, line, byteOffset: this.bytes + at },
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
