import { Readable } from 'node:stream'

import yauzl, { type Entry, type ZipFile } from 'yauzl'

import { invalidData } from '../errors.js'

/**
 * A workbook's zip container, read through its central directory (yauzl), so the parts a sheet
 * needs (workbook, relationships, shared strings, styles) can be read before the sheet whatever
 * order the entries were written in. The file is the attacker's: entry names are only ever looked
 * up (never turned into paths), sizes are checked against what each entry declares (yauzl's
 * validateEntrySizes) and against caps, so a zip bomb stops at the cap instead of filling memory
 * or the disk.
 */

/** A part read whole into memory (workbook.xml, rels, styles) may not be larger. */
export const MAX_PART_BYTES = 16 << 20
/** Any one entry streamed (a sheet, the shared strings, ODF content.xml). */
export const MAX_STREAMED_BYTES = 2 * 1024 ** 3
/** Uncompressed / compressed beyond this is a bomb rather than a spreadsheet: real sheets pack 5–50×, deflate at most ~1030×. */
export const MAX_RATIO = 250
/** More entries than any workbook has. */
export const MAX_ENTRIES = 10_000

export class Zip {
  private constructor(private readonly zip: ZipFile, private readonly entries: Map<string, Entry>, readonly label: string) {}

  static async open(file: string, label: string): Promise<Zip> {
    const zip = await new Promise<ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
        err ? reject(notAZip(label, err)) : resolve(z)),
    )
    const entries = new Map<string, Entry>()
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('error', (err: Error) => reject(notAZip(label, err)))
        zip.on('end', () => resolve())
        zip.on('entry', (entry: Entry) => {
          if (entries.size >= MAX_ENTRIES) return reject(invalidData(`${label}: the workbook has more than ${MAX_ENTRIES} parts; it is no spreadsheet erp can read`))
          if (entries.has(entry.fileName)) return reject(invalidData(`${label}: the workbook names the part ${JSON.stringify(entry.fileName)} twice`))
          entries.set(entry.fileName, entry)
          zip.readEntry()
        })
        zip.readEntry()
      })
    } catch (err) {
      zip.close()
      throw err
    }
    return new Zip(zip, entries, label)
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  /** Uncompressed size the entry declares. */
  size(name: string): number {
    return this.entries.get(name)?.uncompressedSize ?? 0
  }

  /** A small part as text (UTF-8), refused beyond MAX_PART_BYTES. */
  async text(name: string): Promise<string> {
    const chunks: Buffer[] = []
    for await (const chunk of await this.stream(name, MAX_PART_BYTES)) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }

  /** An entry's bytes as a stream, refused (before a byte is inflated) beyond `cap` or MAX_RATIO. */
  async stream(name: string, cap = MAX_STREAMED_BYTES): Promise<Readable> {
    const entry = this.entries.get(name)
    if (!entry) throw invalidData(`${this.label}: the workbook has no part ${JSON.stringify(name)} (damaged, or not a spreadsheet)`)
    if (entry.uncompressedSize > cap || entry.uncompressedSize > Math.max(entry.compressedSize, 1024) * MAX_RATIO) {
      throw invalidData(`${this.label}: the part ${name} unpacks to ${entry.uncompressedSize.toLocaleString('en')} bytes from ${entry.compressedSize.toLocaleString('en')} ` +
        `(a zip bomb, or larger than erp reads: at most ${cap.toLocaleString('en')} bytes and ${MAX_RATIO}× its packed size)`, {
        data: { file: this.label, part: name, uncompressedSize: entry.uncompressedSize, compressedSize: entry.compressedSize },
      })
    }
    const raw = await new Promise<Readable>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, s) => (err ? reject(notAZip(this.label, err)) : resolve(s))))
    return lazily(raw, (err) => notAZip(`${this.label} (${name})`, err))
  }

  close(): void {
    this.zip.close()
  }
}

/**
 * The entry's bytes, flowing only once the stream is read: the source is opened well before the
 * import's pipeline is, and an error yauzl finds meanwhile (a size that lies) must reach the
 * pipeline, not an unheard stream. Errors are named for the operator.
 */
function lazily(raw: Readable, named: (err: Error) => Error): Readable {
  let failed: Error | undefined
  let wired = false
  raw.on('error', (err: Error) => {
    failed = named(err)
    if (wired) out.destroy(failed)
  })
  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (failed) return this.destroy(failed)
      if (!wired) {
        wired = true
        raw.on('data', (chunk: Buffer) => {
          if (!out.push(chunk)) raw.pause()
        })
        raw.on('end', () => out.push(null))
      }
      raw.resume()
    },
    destroy(err, done) {
      raw.destroy()
      done(err)
    },
  })
  return out
}

export function notAZip(label: string, cause: unknown): Error {
  return invalidData(`${label}: the workbook's zip container is damaged (${(cause as Error).message})`, {
    actions: ['Open the file in Excel or LibreOffice and save it again'],
    data: { file: label },
    cause,
  })
}
