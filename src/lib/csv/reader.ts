import { StringDecoder } from 'node:string_decoder'

import { invalidData } from '../errors.js'

/**
 * CSV bytes → records, for the importer's hot path. csv-parse reads 35–40 MB/s, most of the time
 * of a large import; this reads RFC 4180 several times faster, and is strict where the importer
 * needs it: a quote may only open and close a whole field, a record may not outgrow
 * MAX_RECORD_LENGTH (an unclosed quote is caught there, not at the end of the file), and every
 * record carries the line it starts on.
 *
 * Each chunk is decoded once (a StringDecoder, so a character cut between chunks is whole again)
 * and scanned as text: fields are slices of the chunk's string, which V8 makes without copying.
 * Cutting them from the bytes instead cost a native call per field, twice the time of the scan.
 *
 * Records are handed to a callback as they are cut (an empty line as ['']), so that they die young:
 * holding a chunk's worth of them between streams costs more in garbage collection than the cutting.
 */
export type OnRecord = (fields: string[], line: number) => void

const QUOTE = 0x22
const LF = 0x0a
const CR = 0x0d
/** The byte order mark, as UTF-8 decodes it and as Latin-1 reads its three bytes. */
const BOM = { utf8: '\ufeff', latin1: '\u00ef\u00bb\u00bf' }

/** The longest record read, in characters: a bigger one is a runaway quote far more often than real data. */
export const MAX_RECORD_LENGTH = 1 << 20

/**
 * Chunks are decoded this much at a time. The fields keep their piece's string alive; a piece this
 * small lives in V8's young generation and goes with its fields, where a 1 MiB string would be a
 * large object that only a full collection frees (+50 MB of peak memory on a 150 MB file).
 */
const PIECE_BYTES = 64 * 1024

/** Why a record could not be cut from the text at hand: more is needed, or the file ended. */
const MORE = -1

export class CsvReader {
  /** The text of a record not complete at the end of the last chunk. */
  private carry = ''
  private line = 1
  private started = false
  private readonly delimiter: number
  private readonly decoder: StringDecoder

  constructor(
    delimiter: string,
    private readonly encoding: 'utf8' | 'latin1',
    private readonly file: string,
    private readonly maxRecordLength = MAX_RECORD_LENGTH,
  ) {
    this.delimiter = delimiter.charCodeAt(0)
    this.decoder = new StringDecoder(encoding)
  }

  /** Cut the records a chunk completes; throws an ErpError naming the line on malformed CSV. */
  feed(chunk: Buffer, onRecord: OnRecord): void {
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      this.cut(this.decoder.write(chunk.subarray(at, at + PIECE_BYTES)), false, onRecord)
    }
  }

  /** The end of the input: the last record (without a final newline), or the error of an open quote. */
  end(onRecord: OnRecord): void {
    this.cut(this.decoder.end(), true, onRecord)
  }

  private cut(chunk: string, last: boolean, onRecord: OnRecord): void {
    let text = this.carry === '' ? chunk : this.carry + chunk
    this.carry = ''
    if (!this.started) {
      if (text.length < BOM[this.encoding].length && !last) {
        this.carry = text
        return
      }
      this.started = true
      if (text.startsWith(BOM[this.encoding])) text = text.slice(BOM[this.encoding].length)
    }
    let at = 0
    while (at < text.length) {
      const line = this.line
      const end = this.record(text, at, last, onRecord)
      if (end === MORE) break
      if (end - at > this.maxRecordLength) throw this.tooLarge(line)
      at = end
    }
    if (at < text.length) {
      // Only an open quote leaves text over at the end of the file.
      if (last) throw this.problem(this.line, 'a quoted field opened on this line (or a later one) is never closed', 'Close the quote, or double the quotes inside quoted text ("" stands for ")')
      if (text.length - at > this.maxRecordLength) throw this.tooLarge(this.line)
      this.carry = text.slice(at)
    }
  }

  /** Cut one record starting at `at`; returns where the next one starts, or MORE. */
  private record(text: string, at: number, last: boolean, onRecord: OnRecord): number {
    const n = text.length
    const fields: string[] = []
    let newlines = 0
    let pos = at
    for (;;) {
      if (text.charCodeAt(pos) === QUOTE) {
        // A quoted field: up to the quote that is not doubled.
        let close = pos + 1
        let doubled = false
        for (;;) {
          close = text.indexOf('"', close)
          if (close === -1 || (close + 1 >= n && !last)) return MORE
          if (text.charCodeAt(close + 1) !== QUOTE) break
          doubled = true
          close += 2
        }
        for (let k = text.indexOf('\n', pos); k !== -1 && k < close; k = text.indexOf('\n', k + 1)) newlines++
        const value = text.slice(pos + 1, close)
        fields.push(doubled ? value.replaceAll('""', '"') : value)
        pos = close + 1
        if (pos >= n) return this.complete(fields, newlines, pos, onRecord)
        const next = text.charCodeAt(pos)
        if (next === this.delimiter) {
          pos++
          if (pos >= n) return last ? this.complete([...fields, ''], newlines, pos, onRecord) : MORE
          continue
        }
        if (next === LF) return this.complete(fields, newlines, pos + 1, onRecord)
        if (next === CR) return pos + 1 >= n && !last ? MORE : this.complete(fields, newlines, pos + (text.charCodeAt(pos + 1) === LF ? 2 : 1), onRecord)
        throw this.problem(this.line + newlines, `column ${fields.length}: text after the closing quote of a quoted field`, 'Fix the quoting on that line: a quote may only open and close a whole field')
      }
      // An unquoted field: up to the delimiter or the end of the line.
      let end = pos
      let c = 0
      while (end < n) {
        c = text.charCodeAt(end)
        if (c === this.delimiter || c === LF || c === CR || c === QUOTE) break
        end++
      }
      if (end < n && c === QUOTE) {
        throw this.problem(this.line + newlines, `column ${fields.length + 1}: a quote inside a field that does not start with one`, 'Fix the quoting on that line: a quote may only open and close a whole field (quote the field and double the quotes inside)')
      }
      if (end >= n && !last) return MORE
      fields.push(text.slice(pos, end))
      if (end >= n) return this.complete(fields, newlines, end, onRecord)
      if (c === this.delimiter) {
        pos = end + 1
        if (pos >= n) return last ? this.complete([...fields, ''], newlines, pos, onRecord) : MORE
        continue
      }
      if (c === LF) return this.complete(fields, newlines, end + 1, onRecord)
      return end + 1 >= n && !last ? MORE : this.complete(fields, newlines, end + (text.charCodeAt(end + 1) === LF ? 2 : 1), onRecord)
    }
  }

  private complete(fields: string[], newlines: number, next: number, onRecord: OnRecord): number {
    const line = this.line
    this.line += newlines + 1
    onRecord(fields, line)
    return next
  }

  private tooLarge(line: number) {
    const limit = this.maxRecordLength.toLocaleString('en')
    return this.problem(line, `a row is longer than ${limit} characters (a huge field, or a quote that is never closed)`, 'Check the quotes on that row; fields are limited in size')
  }

  private problem(line: number, message: string, action: string) {
    return invalidData(`${this.file}:${line}: ${message}`, { actions: [action], data: { file: this.file, line } })
  }
}
