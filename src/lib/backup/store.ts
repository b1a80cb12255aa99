import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream'

import type * as S3Sdk from '@aws-sdk/client-s3'
import type { S3Client } from '@aws-sdk/client-s3'

import type { S3KeyPair } from '../auth/object-storage.js'
import type { ObjectStorageSettings, Profile } from '../auth/profiles.js'
import { ErpError, ErrorKind, usageError } from '../errors.js'
import { PARTIAL_SUFFIX } from './format.js'

/**
 * Where archives live: a local folder, or an S3 (or S3-compatible) bucket and prefix. The backup
 * code writes, lists, reads and deletes archives through this one interface, as Node streams, and
 * never knows which it has. Anything that is neither a path nor `s3://bucket[/prefix]` is refused:
 * `s3:/x`, `gs://x` or `https://x` taken as a local folder would let an operator believe a backup
 * went off-site when it sits in a folder named `s3:`.
 */
export interface ArchiveLocation {
  readonly kind: 'local' | 's3'
  /** The folder or `s3://bucket/prefix`, as shown to the operator. */
  readonly where: string
  /** The full name of an archive in this location, as shown and as `archiveRef` takes it back. */
  nameOf(name: string): string
  /** Make sure archives can be written here (local: create the folder; S3: the bucket answers). */
  prepare(): Promise<void>
  /** What the location holds, directly under it; names are checked (no `/`, no `..`). */
  list(): Promise<StoredObject[]>
  /** Size (and an S3 ETag, to pin later reads to this version); undefined when there is none. */
  stat(name: string): Promise<ObjectStat | undefined>
  /** The bytes of an archive from `start` to `end` (inclusive), or all of them. */
  read(name: string, options?: ReadOptions): Promise<Readable>
  /**
   * An archive being written. Nothing under `name` exists until `commit()` has returned: a local
   * archive is written as `<name>.partial`, flushed and renamed; an S3 one is a multipart upload,
   * which the store shows only once complete, and which `abort()` (or any failure) cancels.
   */
  write(name: string, expectedBytes?: number): Promise<ArchiveSink>
  remove(name: string): Promise<void>
  /** A private local folder for a backup's staging files (under the folder itself when local). */
  staging(prefix: string): Promise<string>
}

export interface StoredObject {
  name: string
  bytes: number
  modifiedMs: number
  directory: boolean
}

export interface ObjectStat {
  bytes: number
  /** The S3 ETag: reads made with it fail if the object was replaced meanwhile. */
  version?: string
}

export interface ReadOptions {
  start?: number
  end?: number
  version?: string
}

export interface ArchiveSink {
  stream: Writable
  /** Finish: the archive exists under its name once this returns. Returns its size. */
  commit(): Promise<number>
  /** Give up: nothing is left under the archive's name. */
  abort(): Promise<void>
}

const S3_SCHEME = /^s3:\/\//i
/** A URL's scheme: `gs:`, `https:`, `s3:` not followed by `//`... */
const ANY_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/
/** Bucket names of S3, R2, MinIO and GCS (which also allows `_`). */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/
/** One segment of a prefix, or an object's name under it. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._=+-]{0,254}$/

const LOCATION_HELP = 'A backup location is a local folder (/var/backups/erp, ./backups) or s3://bucket/prefix.'

/** Refuse a location erp cannot handle, without touching it (commands call it before connecting). */
export function checkLocation(text: string, what = 'backup location'): void {
  if (what === 'archive') archiveRef(text)
  else parseLocationSpec(text, what)
}

export function parseLocation(text: string, what = 'backup location'): ArchiveLocation {
  const spec = parseLocationSpec(text, what)
  return spec.kind === 's3' ? new S3Location(spec.bucket, spec.prefix) : new LocalLocation(text)
}

/** An archive named by its full name: `/var/backups/erp/acme-….erp.tar` or `s3://bucket/prefix/acme-….erp.tar`. */
export function archiveRef(text: string): { location: ArchiveLocation; name: string } {
  const spec = parseLocationSpec(text, 'archive')
  if (spec.kind === 'local') return { location: new LocalLocation(path.dirname(text)), name: path.basename(text) }
  const segments = spec.prefix.split('/').filter(Boolean)
  const name = segments.pop()
  if (!name || text.endsWith('/')) {
    throw usageError(`${text} names a bucket or prefix, not an archive`, {
      actions: ['Name the archive object: s3://bucket/prefix/acme-20261125T030000.000Z.erp.tar (erp backup list --dir s3://bucket/prefix shows them).'],
    })
  }
  return { location: new S3Location(spec.bucket, segments.length ? `${segments.join('/')}/` : ''), name }
}

/** The location an archive sits in (restore --force puts its safety backup there). */
export function parentOf(archive: string): string {
  const { location } = archiveRef(archive)
  return location.kind === 'local' ? path.dirname(path.resolve(archive)) : location.where
}

type LocationSpec = { kind: 'local' } | { kind: 's3'; bucket: string; prefix: string }

/** A location as it may be echoed: never with what looks like credentials (`//user:secret@`). */
const shown = (text: string) => JSON.stringify(text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/*).*@/s, '$1***@'))

function parseLocationSpec(text: string, what: string): LocationSpec {
  if (typeof text !== 'string' || text.trim() === '') throw usageError(`Empty ${what}`, { actions: [LOCATION_HELP] })
  if (S3_SCHEME.test(text)) return parseS3(text, what)
  const scheme = ANY_SCHEME.exec(text)
  if (scheme && !(process.platform === 'win32' && /^[A-Za-z]:[\\/]/.test(text))) {
    const s3ish = scheme[1].toLowerCase() === 's3'
    throw usageError(
      s3ish
        ? `${shown(text)} is not an S3 location: write s3://bucket/prefix`
        : `erp cannot store backups at ${shown(text)}: the ${scheme[1]}: scheme is not supported`,
      {
        actions: [
          LOCATION_HELP,
          'Google Cloud Storage: use its S3-interoperable endpoint (AWS_ENDPOINT_URL=https://storage.googleapis.com and HMAC keys) with s3://bucket/prefix.',
          'A local folder whose name has a colon: write it as ./<name>',
        ],
        data: { location: JSON.parse(shown(text)) },
      },
    )
  }
  return { kind: 'local' }
}

function parseS3(text: string, what: string): LocationSpec {
  const rest = text.replace(S3_SCHEME, '')
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1)
  const refuse = (problem: string, echo = true) =>
    usageError(`Invalid ${what}${echo ? ` ${shown(text)}` : ''}: ${problem}`, {
      actions: [LOCATION_HELP, 'Credentials never go in the location: erp reads them from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the shared credentials file.'],
    })
  // Checked before anything else: a location is echoed in messages and in the audit log.
  if (bucket.includes('@') || bucket.includes(':')) throw refuse('credentials or a port do not go in an s3:// location', false)
  if (!bucket) throw refuse('no bucket')
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw refuse(`${JSON.stringify(bucket)} is not a bucket name (3-63 lowercase letters, digits, ".", "-", "_")`)
  const segments = prefix.split('/')
  if (segments.at(-1) === '') segments.pop()
  for (const s of segments) {
    if (!SEGMENT.test(s)) throw refuse(`prefix segment ${JSON.stringify(s)}: use letters, digits, ".", "_", "-", "=", "+" (no empty, "." or ".." segments)`)
  }
  return { kind: 's3', bucket, prefix: segments.length ? `${segments.join('/')}/` : '' }
}

// ---- local folder -----------------------------------------------------------------------------

class LocalLocation implements ArchiveLocation {
  readonly kind = 'local' as const
  constructor(readonly where: string) {}

  nameOf(name: string): string {
    return path.join(this.where, name)
  }

  async prepare(): Promise<void> {
    await fs.mkdir(this.where, { recursive: true })
  }

  async list(): Promise<StoredObject[]> {
    const entries = await fs.readdir(this.where, { withFileTypes: true }).catch((err) => {
      if ((err as { code?: string }).code === 'ENOENT') {
        throw new ErpError(ErrorKind.FILE_NOT_FOUND, `No backup folder ${this.where}`, { actions: ['Pass the folder that holds the archives: --dir <folder>'], cause: err })
      }
      throw err
    })
    const out: StoredObject[] = []
    for (const entry of entries) {
      if (!entry.isFile() && !entry.isDirectory()) continue
      const stat = await fs.stat(this.nameOf(entry.name)).catch(() => undefined)
      if (stat) out.push({ name: entry.name, bytes: stat.size, modifiedMs: stat.mtimeMs, directory: entry.isDirectory() })
    }
    return out
  }

  async stat(name: string): Promise<ObjectStat | undefined> {
    const file = this.nameOf(name)
    const stat = await fs.stat(file).catch(() => undefined)
    if (!stat) return undefined
    if (!stat.isFile()) throw new ErpError(ErrorKind.FILE_NOT_FOUND, `${file} is not a file`)
    return { bytes: stat.size }
  }

  async read(name: string, options: ReadOptions = {}): Promise<Readable> {
    return createReadStream(this.nameOf(name), { start: options.start, end: options.end })
  }

  async write(name: string): Promise<ArchiveSink> {
    const target = this.nameOf(name)
    const partial = `${target}${PARTIAL_SUFFIX}`
    const stream = createWriteStream(partial, { flags: 'w', mode: 0o600 })
    return {
      stream,
      commit: async () => {
        await fsyncPath(partial)
        await fs.rename(partial, target)
        await fsyncPath(path.dirname(target))
        return (await fs.stat(target)).size
      },
      abort: async () => {
        stream.destroy()
        await fs.rm(partial, { force: true })
      },
    }
  }

  async remove(name: string): Promise<void> {
    await fs.rm(this.nameOf(name), { recursive: true, force: true })
  }

  async staging(prefix: string): Promise<string> {
    return fs.mkdtemp(path.join(this.where, `.${prefix}`))
  }
}

export async function fsyncPath(file: string): Promise<void> {
  const handle = await fs.open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// ---- S3 ---------------------------------------------------------------------------------------

type S3Module = typeof S3Sdk

/** Parts of 8 MiB, 4 in flight: about 40 MB of buffers whatever the archive's size. */
const PART_SIZE = 8 * 1024 * 1024
const QUEUE_SIZE = 4
/** S3 allows 10,000 parts; big archives get bigger parts. */
const MAX_PARTS = 9_000
/** A listing that goes on for longer than this is not a backup prefix (or the server loops). */
const MAX_LIST_PAGES = 10_000

interface S3Settings {
  endpoint?: string
  pathStyle: boolean
  /** From the erp profile, when the environment names none (AWS_REGION, AWS_DEFAULT_REGION). */
  region?: string
  /** The ~/.aws profile from the erp profile, when AWS_PROFILE is not set. */
  awsProfile?: string
}

/**
 * Endpoint, addressing, region and AWS profile. Each comes from the environment first
 * (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, ERP_S3_PATH_STYLE, AWS_REGION, AWS_PROFILE), then from
 * the erp profile's S3 settings (erp auth s3 set), then from the AWS SDK's own chain (~/.aws/config,
 * SSO, IMDS). Path-style addressing (`endpoint/bucket/key`) is used for an IP-address or
 * `localhost` endpoint, as MinIO and test servers need; ERP_S3_PATH_STYLE=true|false or the
 * profile's path style decides for any other.
 */
export function s3Settings(env: NodeJS.ProcessEnv = process.env, profile: ObjectStorageSettings = {}): S3Settings {
  const fromEnv = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
  const endpoint = fromEnv ?? profile.endpoint
  const flag = env.ERP_S3_PATH_STYLE?.trim().toLowerCase()
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0', 'yes', 'no'].includes(flag)) {
    throw usageError(`ERP_S3_PATH_STYLE must be true or false, not ${JSON.stringify(env.ERP_S3_PATH_STYLE)}`)
  }
  let host: string | undefined
  if (endpoint) {
    try {
      host = new URL(endpoint).hostname
    } catch (err) {
      const where = fromEnv ? 'AWS_ENDPOINT_URL' : "The erp profile's S3 endpoint"
      throw new ErpError(ErrorKind.CONFIG, `${where} is not a URL`, { actions: ['Set it to the store\'s endpoint, e.g. http://127.0.0.1:9000 or https://<account>.r2.cloudflarestorage.com'], cause: err })
    }
  }
  const auto = host !== undefined && (host === 'localhost' || host.endsWith('.localhost') || isIpLiteral(host))
  const pathStyle = flag ? ['true', '1', 'yes'].includes(flag) : (profile.pathStyle ?? auto)
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION ? undefined : profile.region
  const awsProfile = env.AWS_PROFILE ? undefined : profile.awsProfile
  return { endpoint, pathStyle, ...(region ? { region } : {}), ...(awsProfile ? { awsProfile } : {}) }
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[')
}

/** What the S3 client is built from: settings, and the erp profile's key pair when it is the one to use. */
interface S3Config {
  settings: S3Settings
  keys?: S3KeyPair
}

/**
 * Credentials in order: the environment's (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or AWS_PROFILE),
 * then the erp profile's key pair from the credential store, then its AWS profile name, then the
 * SDK's default chain (shared files, SSO, web identity, the instance role).
 */
async function s3Config(env: NodeJS.ProcessEnv = process.env): Promise<S3Config> {
  const { activeProfileName } = await import('../auth/active-profile.js')
  const name = await activeProfileName(env)
  let profile: Profile | undefined
  if (name) {
    const { getProfile } = await import('../auth/profiles.js')
    profile = await getProfile(name)
  }
  const stored = profile?.objectStorage
  if (stored) {
    const { validateObjectStorage } = await import('../auth/object-storage.js')
    validateObjectStorage(stored)
  }
  const settings = s3Settings(env, stored)
  const envCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE)
  if (envCredentials || !profile?.objectStorage?.credentials) return { settings }
  const { keyPairOf } = await import('../auth/object-storage.js')
  return { settings, keys: await keyPairOf(profile) }
}

let clientCache: { key: string; client: Promise<{ client: S3Client; sdk: S3Module }> } | undefined

let configCache: { run: number; env: string; config: Promise<S3Config> } | undefined

/**
 * The configuration, resolved once per command (a fleet backup makes thousands of S3 calls; the
 * keychain need not answer each), and again when the environment changes (tests, long runs).
 */
async function currentS3Config(env: string): Promise<S3Config> {
  const { commandRun } = await import('../auth/active-profile.js')
  const run = commandRun()
  if (configCache?.run !== run || configCache.env !== env) {
    configCache = { run, env, config: s3Config() }
    configCache.config.catch(() => (configCache = undefined))
  }
  return configCache.config
}

async function s3(): Promise<{ client: S3Client; sdk: S3Module }> {
  const env = JSON.stringify(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_') || k.startsWith('ERP_')).sort())
  const config = await currentS3Config(env)
  // One client per process and configuration. The key is a digest: the secrets it covers are
  // never kept in the clear beside the client.
  const key = createHash('sha256').update(JSON.stringify([config, env])).digest('hex')
  if (clientCache?.key !== key) {
    clientCache = { key, client: makeClient(config) }
    clientCache.client.catch(() => (clientCache = undefined))
  }
  return clientCache.client
}

async function makeClient({ settings, keys }: S3Config): Promise<{ client: S3Client; sdk: S3Module }> {
  // The SDK warns on Node 20 that releases after January 2027 will need Node 22: erp pins a release
  // that runs on Node 20, and its output stays clean. Only this warning is turned off.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const sdk = await import('@aws-sdk/client-s3')
  const base = {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.awsProfile ? { profile: settings.awsProfile } : {}),
    ...(keys ? { credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey } } : {}),
    forcePathStyle: settings.pathStyle,
    followRegionRedirects: true,
    // Checksums only where S3 requires them: MinIO, R2 and GCS's interoperable API do not all take
    // the SDK's default trailing checksums. Archives carry their own sha256 of every byte.
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  }
  if (settings.region) return { client: new sdk.S3Client({ ...base, region: settings.region }), sdk }
  let client = new sdk.S3Client(base)
  try {
    await client.config.region()
  } catch {
    // No region configured: fine for most S3-compatible stores; AWS redirects to the bucket's.
    client.destroy()
    client = new sdk.S3Client({ ...base, region: 'us-east-1' })
  }
  return { client, sdk }
}

class S3Location implements ArchiveLocation {
  readonly kind = 's3' as const
  readonly where: string
  constructor(readonly bucket: string, readonly prefix: string) {
    this.where = `s3://${bucket}/${prefix}`.replace(/\/$/, '')
  }

  nameOf(name: string): string {
    return `s3://${this.bucket}/${this.prefix}${name}`
  }

  private key(name: string): string {
    if (!SEGMENT.test(name)) throw usageError(`Invalid archive name ${JSON.stringify(name)}`)
    return `${this.prefix}${name}`
  }

  async prepare(): Promise<void> {
    const { client, sdk } = await s3()
    await call(this.where, 'reach the bucket', () => client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket })))
  }

  async list(): Promise<StoredObject[]> {
    const { client, sdk } = await s3()
    const out: StoredObject[] = []
    const tokens = new Set<string>()
    let token: string | undefined
    for (let page = 0; ; page++) {
      if (page >= MAX_LIST_PAGES) throw listingProblem(this.where, `more than ${MAX_LIST_PAGES} pages`)
      const res = await call(this.where, 'list', () =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, Delimiter: '/', ContinuationToken: token })),
      )
      for (const o of res.Contents ?? []) {
        // The listing is the store's word, not ours: only plain names directly under the prefix.
        if (typeof o.Key !== 'string' || !o.Key.startsWith(this.prefix)) continue
        const name = o.Key.slice(this.prefix.length)
        if (!SEGMENT.test(name)) continue
        const bytes = Number(o.Size)
        if (!Number.isSafeInteger(bytes) || bytes < 0) continue
        const modifiedMs = o.LastModified instanceof Date ? o.LastModified.getTime() : 0
        out.push({ name, bytes, modifiedMs: Number.isFinite(modifiedMs) ? modifiedMs : 0, directory: false })
      }
      if (!res.IsTruncated) break
      token = res.NextContinuationToken
      if (!token || tokens.has(token)) throw listingProblem(this.where, 'the listing does not advance')
      tokens.add(token)
    }
    return out
  }

  async stat(name: string): Promise<ObjectStat | undefined> {
    const { client, sdk } = await s3()
    try {
      const res = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }))
      const bytes = Number(res.ContentLength)
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw listingProblem(this.nameOf(name), 'the store gave no size')
      return { bytes, version: res.ETag }
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw s3Error(this.nameOf(name), 'read', err)
    }
  }

  async read(name: string, options: ReadOptions = {}): Promise<Readable> {
    const { client, sdk } = await s3()
    const range = options.start !== undefined || options.end !== undefined ? `bytes=${options.start ?? 0}-${options.end ?? ''}` : undefined
    const res = await call(this.nameOf(name), 'read', () =>
      client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name), Range: range, IfMatch: options.version })),
    )
    return res.Body as Readable
  }

  async write(name: string, expectedBytes = 0): Promise<ArchiveSink> {
    const { client } = await s3()
    const { Upload } = await import('@aws-sdk/lib-storage')
    const key = this.key(name)
    const where = this.nameOf(name)
    let bytes = 0
    const body = new PassThrough({ highWaterMark: 1024 * 1024 })
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length
        done(null, chunk)
      },
    })
    counter.pipe(body)
    counter.on('error', (err) => body.destroy(err))
    const partSize = Math.max(PART_SIZE, Math.ceil((expectedBytes * 1.1) / MAX_PARTS))
    const upload = new Upload({
      client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-tar' },
      partSize,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    })
    // On any failure lib-storage aborts the multipart upload: no object appears, no parts are kept.
    const done = upload.done()
    done.catch(() => undefined)
    return {
      stream: counter,
      commit: async () => {
        await call(where, 'upload', () => done)
        return bytes
      },
      abort: async () => {
        // Failing the body makes lib-storage stop and abort the multipart upload; wait for that.
        body.destroy(new Error('backup aborted'))
        counter.destroy()
        await done.catch(() => undefined)
      },
    }
  }

  async remove(name: string): Promise<void> {
    const { client, sdk } = await s3()
    await call(this.nameOf(name), 'delete', () => client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) })))
  }

  async staging(prefix: string): Promise<string> {
    return fs.mkdtemp(path.join(os.tmpdir(), `erp-${prefix}`))
  }
}

async function call<T>(where: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    throw s3Error(where, what, err)
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode
}

function listingProblem(where: string, problem: string): ErpError {
  return new ErpError(ErrorKind.INVALID_DATA, `The object store's answer for ${where} is not usable: ${problem}`, {
    actions: ['Check the endpoint (AWS_ENDPOINT_URL) and the bucket: erp takes only plain archive names directly under the prefix.'],
  })
}

/**
 * One ErpError per kind of S3 failure, naming the location and the store's error code. The SDK's
 * own error stays the cause (never printed); its message is kept only for codes that carry no
 * request details, and nothing of the credentials is ever put into a message.
 */
export function s3Error(where: string, what: string, err: unknown): ErpError {
  if (err instanceof ErpError) return err
  const e = err as { name?: string; Code?: string; code?: string; message?: string }
  const code = e?.Code ?? e?.name ?? 'Error'
  const status = statusOf(err)
  const net = e?.code ?? (err as { cause?: { code?: string } })?.cause?.code
  const mk = (kind: ErrorKind, message: string, actions: string[]) => new ErpError(kind, message, { actions, data: { location: where, code, status }, cause: err })
  if (code === 'CredentialsProviderError' || /credential/i.test(code)) {
    return mk(ErrorKind.CONFIG, `No S3 credentials to ${what} ${where}`, [
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials, for the user that runs erp.',
      'Or keep a key pair in the erp profile: erp auth s3 set <profile> --credentials-stdin (two lines on stdin: key id, secret).',
    ])
  }
  if (code === 'NoSuchBucket') return mk(ErrorKind.FILE_NOT_FOUND, `No bucket ${where.replace(/^s3:\/\/([^/]+).*$/, '$1')} (to ${what} ${where})`, ['Create the bucket, or check its name and the endpoint (AWS_ENDPOINT_URL).'])
  if (code === 'NoSuchKey' || (status === 404 && what === 'read')) return mk(ErrorKind.FILE_NOT_FOUND, `No archive at ${where}`, ['List archives with: erp backup list --dir s3://bucket/prefix'])
  if (status === 412 || code === 'PreconditionFailed') {
    return mk(ErrorKind.CONFLICT, `Archive ${where} changed while it was being read`, ['Nothing was changed. Run the command again.'])
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken'].includes(code) || status === 403 || status === 401) {
    return mk(ErrorKind.NOT_ALLOWED, `The object store refused to ${what} ${where} (${code})`, [
      'Check the S3 credentials erp runs with (AWS_ACCESS_KEY_ID, AWS_PROFILE) and that they may read, write, list and delete under this prefix.',
    ])
  }
  if (net && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH)$/.test(net)) {
    return mk(ErrorKind.UNAVAILABLE, `The object store for ${where} cannot be reached (${net})`, ['Check the endpoint (AWS_ENDPOINT_URL) and the network, then run the command again.'])
  }
  if (code === 'TimeoutError' || status === 503 || status === 500 || code === 'SlowDown' || code === 'InternalError') {
    return mk(ErrorKind.TEMPORARY, `The object store did not complete the ${what} of ${where} (${code})`, ['Run the command again later.'])
  }
  if (code === 'Error' && /Region is missing/i.test(e?.message ?? '')) {
    return mk(ErrorKind.CONFIG, `No AWS region for ${where}`, ['Set AWS_REGION (or region in ~/.aws/config).'])
  }
  return mk(ErrorKind.FAILED, `Could not ${what} ${where}: ${code}${status ? ` (HTTP ${status})` : ''}`, ['Check the endpoint, the bucket and the credentials, then run the command again.'])
}
