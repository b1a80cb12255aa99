import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Transform, Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import tar from 'tar-stream'

import { ErpError, ErrorKind, isErpError } from '../errors.js'
import { sqlStateOf } from '../db/sqlstate.js'
import {
  ARCHIVE_FORMAT, BLOCK, FORMAT_VERSION, MANIFEST_ENTRY, SCHEMA_ENTRY, TRAILER_ENTRY, TRAILER_SIZE, TRAILER_TAIL,
  dataEntryName, entryBytes, type Manifest, type ManifestTable,
} from './format.js'
import type { SchemaDoc } from './ddl.js'
import { parseSchemaDoc } from './schema-doc.js'
import { SIGNATURE_ENTRY, decodeSignature, encodeSignature, type ArchiveSignature } from './signature.js'
import { decryptingStream, encryptingStream, looksEncrypted, type DecryptionKey, type Recipient } from './encryption.js'
import { archiveRef } from './store.js'

/** Counts and hashes what flows through, unchanged. `lines` counts newlines: COPY text rows. */
export class DigestTap extends Transform {
  readonly hash: Hash = createHash('sha256')
  bytes = 0
  lines = 0
  constructor(private readonly countLines = false) {
    super()
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    if (this.countLines) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++
    done(null, chunk)
  }
}

/** The gzip settings of data entries: level 1-3 compress COPY text nearly as well as 6, much faster. */
export const GZIP_OPTIONS: zlib.ZlibOptions = { level: 3, memLevel: 9, chunkSize: 256 * 1024 }

export interface DataFile {
  table: ManifestTable
  /** A finished, compressed data file in the staging folder. */
  file: string
}

/**
 * Write an archive to its location (store.ts): a local one goes to `<target>.partial`, is flushed to
 * disk and only then renamed to `target`; an S3 one is a multipart upload that shows up only when
 * complete. A killed run never leaves an object under an archive's name. `sign` signs the manifest's
 * bytes (the SIGNATURE entry follows the manifest); without it the archive is unsigned. Returns its size.
 */
export async function writeArchive(
  target: string,
  manifest: Manifest,
  schemaJson: Buffer,
  data: DataFile[],
  sign?: (manifestJson: Buffer) => ArchiveSignature,
  /** Encrypt the whole archive (signed first) to these OpenPGP keys: encryption.ts. */
  encryptTo?: Recipient[],
): Promise<number> {
  const mtime = new Date(manifest.createdAt)
  const manifestJson = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
  const signature = sign && encodeSignature(sign(manifestJson))
  const head = entryBytes(manifestJson.length) + (signature ? entryBytes(signature.length) : 0) + entryBytes(schemaJson.length)
  const expected = data.reduce((n, d) => n + entryBytes(d.table.compressedBytes), head) + TRAILER_TAIL
  const { location, name } = archiveRef(target)
  const sink = await location.write(name, expected)
  const pack = tar.pack()
  const tap = new TrailerTap()
  const written = encryptTo ? pipeline(pack, tap, encryptingStream(encryptTo), sink.stream) : pipeline(pack, tap, sink.stream)
  written.catch(() => undefined) // awaited below; an early failure must not go unhandled meanwhile
  try {
    let offset = head
    await addEntry(pack, { name: MANIFEST_ENTRY, size: manifestJson.length, mtime }, manifestJson)
    if (signature) await addEntry(pack, { name: SIGNATURE_ENTRY, size: signature.length, mtime }, signature)
    await addEntry(pack, { name: SCHEMA_ENTRY, size: schemaJson.length, mtime }, schemaJson)
    for (const { table, file } of data) {
      const entry = pack.entry({ name: table.entry, size: table.compressedBytes, mtime })
      await pipeline(createReadStream(file), entry)
      offset += entryBytes(table.compressedBytes)
    }
    const digest = await tap.digestAt(offset)
    await addEntry(pack, { name: TRAILER_ENTRY, size: TRAILER_SIZE, mtime }, Buffer.from(`${digest}\n`))
    pack.finalize()
    await written
    return await sink.commit()
  } catch (err) {
    pack.destroy()
    await written.catch(() => undefined)
    await sink.abort()
    throw err
  }
}

function addEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())))
}

/** Hashes the archive's bytes until the trailer's offset, then hands the digest over. */
class TrailerTap extends Transform {
  private hash = createHash('sha256')
  private count = 0
  private target?: number
  private waiting?: { resolve: (digest: string) => void; reject: (err: Error) => void }
  private digest?: string

  digestAt(offset: number): Promise<string> {
    this.target = offset
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.check()
    })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    if (this.digest === undefined) {
      this.hash.update(chunk)
      this.count += chunk.length
      if (this.target !== undefined && this.count > this.target) {
        const err = new Error(`tar layout differs from the expected one (${this.count} > ${this.target} bytes)`)
        this.waiting?.reject(err)
        return done(err)
      }
      this.check()
    }
    done(null, chunk)
  }

  private check(): void {
    if (this.digest === undefined && this.count === this.target && this.waiting) {
      this.digest = this.hash.digest('hex')
      this.waiting.resolve(this.digest)
    }
  }
}

// ---- reading --------------------------------------------------------------------------------

export interface ReadHandlers {
  /** Called with the manifest before anything else; may throw to stop. */
  onManifest?: (manifest: Manifest) => Promise<void> | void
  /**
   * Called once the signature is known (the SIGNATURE entry, or its absence), before schema.json is
   * read; may throw to stop. `manifestJson` is the manifest's exact bytes, what the signature covers.
   */
  onSignature?: (manifestJson: Buffer, signature: ArchiveSignature | 'malformed' | undefined) => Promise<void> | void
  onSchema?: (schema: SchemaDoc) => Promise<void> | void
  /** Consume one table's COPY data (decompressed). Without it the data is read and checked only. */
  onTable?: (table: ManifestTable, data: Readable) => Promise<void>
}

export interface ReadOptions {
  /** The private key for an encrypted archive (encryption.ts); an encrypted one without it is refused. */
  decryptionKey?: DecryptionKey
  /**
   * The sha256 of a manifest checked before: a read that finds another one (the file was swapped
   * meanwhile) is refused before any of its entries is used.
   */
  manifestSha256?: string
}

export interface ArchiveCheck {
  file: string
  manifest: Manifest
  /** sha256 of the manifest's bytes. */
  manifestSha256: string
  manifestJson: Buffer
  /** The SIGNATURE entry's content; undefined when the archive has none. */
  signature: ArchiveSignature | 'malformed' | undefined
  schema: SchemaDoc
  /** Size of the archive file (encrypted, when it is). */
  bytes: number
  /** Whether the file is an OpenPGP message around the archive. */
  encrypted: boolean
}

/** A damaged archive: one kind, one message, and what to do. */
export function damaged(file: string, what: string, cause?: unknown): ErpError {
  return new ErpError(ErrorKind.INVALID_DATA, `Archive ${file} is damaged or incomplete: ${what}`, {
    actions: ['Use another archive of this tenant (erp backup list), and check the disk or copy it came from.'],
    data: { file, problem: what },
    cause,
  })
}

/**
 * Read an archive from start to end, checking as it goes: the layout, the manifest, every entry's
 * checksum and row count, and the trailer's digest of the whole file. Throws a damaged() error at
 * the first problem; handlers see data before the trailer is checked, so a restore must not commit
 * before this returns.
 */
export async function readArchive(file: string, handlers: ReadHandlers = {}, options: ReadOptions = {}): Promise<ArchiveCheck> {
  const reader = await openArchiveReader(file, options)
  try {
    const head = await reader.head()
    await handlers.onManifest?.(head.manifest)
    await handlers.onSignature?.(head.manifestJson, head.signature)
    return await reader.rest(handlers)
  } finally {
    reader.close()
  }
}

/** What an archive's first entries say: the manifest and its signature (or that it has none). */
export interface ArchiveHead {
  manifest: Manifest
  /** The manifest's exact bytes, what the signature covers, and their sha256. */
  manifestJson: Buffer
  manifestSha256: string
  /** The SIGNATURE entry's content; undefined when the archive has none. */
  signature: ArchiveSignature | 'malformed' | undefined
  /** Size of the archive file (encrypted, when it is). */
  bytes: number
  encrypted: boolean
}

/**
 * One pass over an archive, in two steps: `head()` reads the manifest and the signature entry (or
 * sees that the next entry is another, so that there is none) and stops there, the rest of the
 * stream held back unread; `rest()` then reads schema.json, every table and the trailer, checking
 * each against the manifest as readArchive does. Between the two the caller decides, from the head
 * alone, whether to use the archive at all (restore: the signature), and sets up what the rest
 * goes into. `close()` ends the read (and the file, the S3 GET or the decryption) at any point; it
 * is safe to call more than once and after the end.
 */
export interface ArchiveReader {
  head(): Promise<ArchiveHead>
  rest(handlers?: Pick<ReadHandlers, 'onSchema' | 'onTable'>): Promise<ArchiveCheck>
  close(): void
}

/** An entry of a tar being read: its header, and its bytes as a stream. */
type TarEntry = Readable & { header: tar.Header }

/** Open an archive (local or S3, plain or encrypted) for one pass: see ArchiveReader. */
export async function openArchiveReader(file: string, options: ReadOptions = {}): Promise<ArchiveReader> {
  const { stream: source, bytes, encrypted } = await openArchive(file, options.decryptionKey)
  // The trailer is the last TRAILER_TAIL bytes of the (plain) archive and covers every byte before
  // them: the hash runs TRAILER_TAIL bytes behind the stream, whose length is known only at its end
  // (an encrypted archive's plaintext size is nowhere up front).
  const fileHash = createHash('sha256')
  let seen = 0
  let held: Buffer = Buffer.alloc(0)
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length
      const all = held.length ? Buffer.concat([held, chunk]) : chunk
      const cut = all.length - TRAILER_TAIL
      if (cut > 0) {
        fileHash.update(all.subarray(0, cut))
        held = Buffer.from(all.subarray(cut))
      } else {
        held = Buffer.from(all)
      }
      done(null, chunk)
    },
  })
  const extract = tar.extract()
  let feedError: unknown
  // Settles, never rejects: a read error is looked at once the entries have been walked.
  const feeding = pipeline(source, hashing, extract).catch((err) => {
    feedError ??= err
  })
  const entries = extract[Symbol.asyncIterator]() as unknown as AsyncIterator<TarEntry>
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    extract.destroy()
    source.destroy()
  }
  /** Runs a step; on any failure the read is ended and the error told as the archive's, once. */
  const step = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error('the archive reader is closed')
    try {
      return await work()
    } catch (err) {
      close()
      await feeding
      // Database errors and our own pass through; anything else came from reading the file.
      if (isErpError(err) || sqlStateOf(err)) throw err
      throw damaged(file, `cut short or unreadable (${(err as Error).message})`, err)
    }
  }

  /** Where the next entry's header starts: headers are single blocks, so sizes tell it. */
  let offset = 0
  /** An entry head() looked at but left for rest(): the one after the manifest when unsigned. */
  let pending: IteratorResult<TarEntry> | undefined
  let head: ArchiveHead | undefined
  const nextEntry = async (): Promise<IteratorResult<TarEntry>> => {
    const result = pending ?? (await entries.next())
    pending = undefined
    return result
  }

  return {
    close,
    head: () => step(async () => {
      if (head) throw new Error('head() was already read')
      const first = await entries.next()
      if (first.done) {
        await feeding
        if (feedError) throw feedError
        throw damaged(file, 'no manifest')
      }
      const name = first.value.header.name
      offset += entryBytes(first.value.header.size ?? 0)
      if (name !== MANIFEST_ENTRY) throw damaged(file, `first entry is ${name}, not ${MANIFEST_ENTRY}`)
      const manifestJson = await readSmall(first.value as unknown as Readable, file)
      const manifestSha256 = sha256(manifestJson)
      if (options.manifestSha256 && manifestSha256 !== options.manifestSha256) {
        throw new ErpError(ErrorKind.CONFLICT, `Archive ${file} changed while it was being restored`, { actions: ['Nothing was changed. Run the restore again.'] })
      }
      const manifest = parseManifest(file, manifestJson)
      let signature: ArchiveSignature | 'malformed' | undefined
      const second = await entries.next()
      if (!second.done && second.value.header.name === SIGNATURE_ENTRY) {
        offset += entryBytes(second.value.header.size ?? 0)
        signature = decodeSignature(await readSmall(second.value as unknown as Readable, file, 64 * 1024))
      } else {
        pending = second
      }
      head = { manifest, manifestJson, manifestSha256, signature, bytes, encrypted }
      return head
    }),

    rest: (handlers = {}) => step(async () => {
      if (!head) throw new Error('rest() before head()')
      const { manifest } = head
      let trailerAt: number | undefined
      let schema: SchemaDoc | undefined
      let trailer: string | undefined
      let next = 0
      for (let result = await nextEntry(); !result.done; result = await nextEntry()) {
        const entry = result.value
        const name = entry.header.name
        if (trailer !== undefined) throw damaged(file, `entry ${name} after the trailer`)
        const at = offset
        offset += entryBytes(entry.header.size ?? 0)
        if (name === SCHEMA_ENTRY && !schema) {
          // Small: buffered whole and checked against the manifest before any statement is used.
          const body = await readSmall(entry as unknown as Readable, file)
          if (sha256(body) !== manifest.schema.sha256) throw damaged(file, `${SCHEMA_ENTRY} does not match its checksum`)
          let parsed: unknown
          try {
            parsed = JSON.parse(body.toString('utf8'))
          } catch (err) {
            throw damaged(file, `${SCHEMA_ENTRY} is not JSON`, err)
          }
          schema = parseSchemaDoc(parsed, `Archive ${file}`)
          await handlers.onSchema?.(schema)
        } else if (name === TRAILER_ENTRY) {
          trailerAt = at
          trailer = (await readSmall(entry as unknown as Readable, file)).toString('utf8').trim()
        } else {
          const table = manifest.tables[next]
          if (!schema) throw damaged(file, `${name} comes before ${SCHEMA_ENTRY}`)
          if (!table || table.entry !== name) throw damaged(file, `unexpected entry ${name} (expected ${table?.entry ?? 'the trailer'})`)
          next++
          await readTable(file, table, entry as unknown as Readable, handlers.onTable)
        }
      }
      await feeding
      if (feedError) throw feedError
      if (!schema) throw damaged(file, `no ${SCHEMA_ENTRY}`)
      if (next < manifest.tables.length) throw damaged(file, `${manifest.tables.length - next} of ${manifest.tables.length} tables missing (from ${manifest.tables[next].name} on)`)
      if (trailer === undefined) throw damaged(file, 'no trailer: the file was cut short')
      if (trailerAt !== seen - TRAILER_TAIL) throw damaged(file, `${seen - TRAILER_TAIL - trailerAt!} bytes after the trailer`)
      if (trailer !== fileHash.digest('hex')) throw damaged(file, 'the trailer checksum does not match the file (altered or corrupted bytes)')
      closed = true
      return { file, manifest, manifestSha256: head.manifestSha256, manifestJson: head.manifestJson, signature: head.signature, schema, bytes, encrypted }
    }),
  }
}

/**
 * An archive file's bytes as a plain tar stream: the file itself, or its decrypted content when it
 * is an OpenPGP message (then `key` is needed). Checks that it is a file of a plausible size.
 */
export async function openArchive(file: string, key?: DecryptionKey): Promise<{ stream: Readable; bytes: number; encrypted: boolean }> {
  const { location, name } = archiveRef(file)
  const stat = await statArchive(file)
  const encrypted = looksEncrypted(await readHead(file, stat))
  if (!encrypted && stat.size < TRAILER_TAIL + 2 * 512) throw damaged(file, `only ${stat.size} bytes, too short to be an archive`)
  // Every read of an S3 archive is pinned to the version (ETag) measured: a swap fails the read.
  const raw = await location.read(name, { version: stat.version })
  if (!encrypted) return { stream: raw, bytes: stat.size, encrypted }
  const stream = await decryptingStream(raw, file, key, (what, cause) => damaged(file, what, cause))
  return { stream, bytes: stat.size, encrypted }
}

/** Whether an archive (local or on S3) is an OpenPGP message rather than a plain tar. */
export async function isEncryptedArchive(file: string): Promise<boolean> {
  return looksEncrypted(await readHead(file, await statArchive(file)))
}

/** The first bytes of an archive (enough to tell an OpenPGP message from a tar). */
async function readHead(file: string, stat: { size: number; version?: string }): Promise<Buffer> {
  if (stat.size === 0) return Buffer.alloc(0)
  const { location, name } = archiveRef(file)
  const chunks: Buffer[] = []
  for await (const chunk of await location.read(name, { start: 0, end: Math.min(stat.size, 32) - 1, version: stat.version })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function readTable(file: string, table: ManifestTable, entry: Readable, consume?: ReadHandlers['onTable']): Promise<void> {
  const tap = new DigestTap(true)
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 })
  const inflated = entry.pipe(gunzip).on('error', () => undefined)
  entry.on('error', (err) => gunzip.destroy(err))
  try {
    if (consume) {
      const source = inflated.pipe(tap)
      inflated.on('error', (err) => tap.destroy(err))
      await consume(table, source)
    } else {
      await pipeline(inflated, tap, new Writable({ write: (_c, _e, done) => done() }))
    }
  } catch (err) {
    if (isErpError(err) || sqlStateOf(err)) throw err
    throw damaged(file, `${table.entry} (table ${table.name}) does not read back: ${(err as Error).message}`, err)
  }
  const digest = tap.hash.digest('hex')
  if (tap.bytes !== table.bytes || digest !== table.sha256) {
    throw damaged(file, `the data of table ${table.name} does not match its checksum`)
  }
  if (tap.lines !== table.rows) throw damaged(file, `table ${table.name} has ${tap.lines} rows, the manifest says ${table.rows}`)
}

async function readSmall(entry: Readable, file: string, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of entry) {
    size += chunk.length
    if (size > limit) throw damaged(file, 'an entry is larger than any manifest or schema could be')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

function parseManifest(file: string, body: Buffer): Manifest {
  let manifest: Manifest
  try {
    manifest = JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw damaged(file, `${MANIFEST_ENTRY} is not JSON`, err)
  }
  if (manifest?.format !== ARCHIVE_FORMAT) throw damaged(file, `not an erp backup (format ${JSON.stringify(manifest?.format)})`)
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new ErpError(ErrorKind.INVALID_DATA, `Archive ${file} has format version ${manifest.formatVersion}; this erp reads up to ${FORMAT_VERSION}`, {
      actions: ['Upgrade erp to restore it.'],
    })
  }
  const problem = manifestProblem(manifest)
  if (problem) throw damaged(file, `${MANIFEST_ENTRY} is malformed: ${problem}`)
  return manifest
}

/** The fields readers use, each of the type they use it as; extra fields are left alone. */
function manifestProblem(m: Manifest): string | undefined {
  const isString = (v: unknown) => typeof v === 'string'
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0
  const isDigest = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
  if (!isString(m.tenant?.slug) || !isString(m.tenant.name) || !(m.tenant.plan === null || isString(m.tenant.plan))) return 'tenant'
  if (!isString(m.createdAt)) return 'createdAt'
  if (!Array.isArray(m.migrations?.applied) || !m.migrations.applied.every(isString) || !(m.migrations.version === null || isString(m.migrations.version))) return 'migrations'
  if (m.schema?.entry !== SCHEMA_ENTRY || !isDigest(m.schema.sha256) || !isCount(m.schema.bytes) || !isCount(m.schema.statements)) return 'schema'
  if (!Array.isArray(m.tables)) return 'tables'
  const bad = m.tables.findIndex((t, i) => typeof t !== 'object' || t === null || !isString(t.name) || t.entry !== dataEntryName(i)
    || !Array.isArray(t.columns) || !t.columns.every(isString) || !isCount(t.rows) || !isCount(t.bytes) || !isDigest(t.sha256) || !isCount(t.compressedBytes)
    || !(t.compressedSha256 === undefined || isDigest(t.compressedSha256)))
  if (bad !== -1) return `tables[${bad}]`
  if (!isCount(m.totals?.tables) || !isCount(m.totals.rows) || !isCount(m.totals.bytes)) return 'totals'
  return undefined
}

/** Size and version of an archive, or a FILE_NOT_FOUND error naming it. */
async function statArchive(file: string): Promise<{ size: number; version?: string }> {
  const { location, name } = archiveRef(file)
  const stat = await location.stat(name)
  if (!stat) throw new ErpError(ErrorKind.FILE_NOT_FOUND, `No archive at ${file}`, { actions: [`List archives with: erp backup list --dir ${location.where}`] })
  return { size: stat.bytes, version: stat.version }
}

/**
 * The cheap look at an archive, for listings: its manifest (the first entry) and whether it ends
 * with a trailer. It reads a few kilobytes, not the data; readArchive is the real check.
 */
export async function peekArchive(file: string, key?: DecryptionKey): Promise<{ manifest: Manifest; whole: boolean; bytes: number; encrypted: boolean }> {
  const { location, name } = archiveRef(file)
  const stat = await statArchive(file)
  if (stat.size === 0) throw damaged(file, 'an empty file')
  const extract = tar.extract()
  const encrypted = looksEncrypted(await readHead(file, stat))
  // The manifest (at most 64 MiB, readSmall's limit) and its header, not the data after it; an
  // encrypted archive only from its start, through decryption.
  const source = encrypted
    ? (await openArchive(file, key)).stream
    : await location.read(name, { start: 0, end: Math.min(stat.size, BLOCK + 64 * 1024 * 1024) - 1, version: stat.version })
  source.on('error', (err) => extract.destroy(err))
  source.pipe(extract)
  let manifest: Manifest | undefined
  try {
    for await (const entry of extract) {
      if (entry.header.name !== MANIFEST_ENTRY) throw damaged(file, `first entry is ${entry.header.name}, not ${MANIFEST_ENTRY}`)
      manifest = parseManifest(file, await readSmall(entry as unknown as Readable, file))
      break
    }
  } catch (err) {
    if (isErpError(err)) throw err
    throw damaged(file, `unreadable (${(err as Error).message})`, err)
  } finally {
    source.destroy()
    extract.destroy()
  }
  if (!manifest) throw damaged(file, 'no manifest')
  // The trailer of an encrypted archive is inside the ciphertext: only a full read sees it.
  return { manifest, whole: encrypted || (await hasTrailer(file, stat)), bytes: stat.size, encrypted }
}

async function hasTrailer(file: string, stat: { size: number; version?: string }): Promise<boolean> {
  if (stat.size < TRAILER_TAIL) return false
  const { location, name: object } = archiveRef(file)
  const chunks: Buffer[] = []
  for await (const chunk of await location.read(object, { start: stat.size - TRAILER_TAIL, end: stat.size - 1, version: stat.version })) {
    chunks.push(chunk as Buffer)
    if (chunks.reduce((n, c) => n + c.length, 0) > TRAILER_TAIL) return false
  }
  const tail = Buffer.concat(chunks)
  if (tail.length !== TRAILER_TAIL) return false
  const name = tail.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '')
  const entrySize = Number.parseInt(tail.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8)
  const digest = tail.subarray(512, 512 + TRAILER_SIZE).toString('latin1')
  return name === TRAILER_ENTRY && entrySize === TRAILER_SIZE && /^[0-9a-f]{64}\n$/.test(digest) && tail.subarray(1024).every((b) => b === 0)
}
