import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'
import type pg from 'pg'

import { ErpError, ErrorKind, invalidData, isErpError, usageError } from '../errors.js'
import type { Db } from '../db/connect.js'
import { grantConnect } from '../db/database-grants.js'
import { quoteIdent, quoteLiteral, type TenantNames } from '../db/identifiers.js'
import { createKnex } from '../db/knex.js'
import { migrateUp } from '../db/migrator.js'
import { newerSchemaError } from '../db/newer-schema.js'
import { scramVerifier } from '../db/scram.js'
import { unknownMigrations } from '../db/schema-migrations.js'
import { translateDbError } from '../db/sqlstate.js'
import { auditInvoiceNumbers, type SeriesProblem } from '../invoices/audit.js'
import { verifyLevels } from '../stock/verify.js'
import { DigestTap } from './archive.js'
import { ENCRYPTED_SUFFIX, type DecryptionKey } from './encryption.js'
import { ARCHIVE_SUFFIX, type Manifest } from './format.js'
import { fillSchema, type FillSource } from './restore.js'
import type { SignatureStatus } from './signature.js'
import { parseLocation } from './store.js'
import { openTrustedArchive, type TrustedArchive } from './trust.js'

/**
 * Proof by restore (`backup verify --deep`): the archive is restored into a scratch schema under a
 * throwaway name, owned by a throwaway role, exactly as `backup restore` fills a tenant (the same
 * code, on a session logged in as that role, so the archive's DDL has no more rights than a
 * tenant's). Then, on the same session and in the same transaction: every table's rows are read
 * back with COPY, counted and hashed, and compared with the manifest; the migrations newer than
 * the archive are applied; `stock verify` and `invoices audit` run on the copy. The transaction is
 * rolled back, never committed, and the empty schema and the roles are dropped, whatever happened.
 *
 * A run killed half-way leaves an empty scratch schema and its two roles; the scratch owner's
 * password expires an hour after it was made, and the next deep verification on that server drops
 * every expired scratch role of this registry that has no session, with its schema.
 */

/** How long the scratch owner may log in: the run logs in once, right after creating it. */
const SCRATCH_LOGIN_VALID = '1 hour'
const SCRATCH_ID = /^[0-9a-f]{24}$/

export interface DeepVerifyOptions {
  decryptionKey?: DecryptionKey
  /** Take an archive this registry did not sign (its DDL runs on the scratch role). Never an invalid one. */
  trustUnsigned?: boolean
  /** Restore the scratch copy on this server (a role that may create roles and schemas), not the registry's. */
  scratchUrl?: string
  /** Told the scratch names once they exist (tests watch them). */
  onScratch?: (names: TenantNames) => void
}

export interface TableMismatch {
  table: string
  manifestRows: number
  restoredRows: number
  /** Whether the restored rows, read back with COPY, hash to the manifest's sha256. */
  contentMatches: boolean
}

export interface DeepVerifyResult {
  file: string
  tenant: string
  createdAt: string
  version: string | null
  encrypted: boolean
  signature: SignatureStatus
  tables: number
  rows: number
  /** ok: restored to what the manifest says, and the copy's stock and invoices check out. */
  status: 'ok' | 'mismatch' | 'problems'
  /** Tables whose restored rows differ from the manifest (count or content). */
  mismatched: TableMismatch[]
  stock: { moves: number; levels: number; drifted: number; serialsDrifted: number }
  invoices: { documents: number; problems: SeriesProblem[] }
  /** Migrations newer than the archive, applied to the copy. */
  migrationsApplied: string[]
  /** The scratch schema it was restored into (dropped since), and on which server. */
  scratch: { schema: string; server: 'registry' | 'scratch-url' }
  warnings: string[]
  durationMs: number
}

/** The scratch names: `erp_verify_<id>` and this registry's roles `<prefix>_verify_<id>[_login]`. */
export function scratchNames(rolePrefix: string, id: string): TenantNames {
  if (!SCRATCH_ID.test(id) || !/^erp_[a-z0-9_]{1,11}_$/.test(rolePrefix)) throw new Error('invalid scratch name parts')
  // The prefix ends in '_' and a slug starts with a letter, so '<prefix>_…' is no tenant's role.
  const owner = `${rolePrefix}_verify_${id}`
  return { slug: `verify_${id}`, schema: `erp_verify_${id}`, ownerRole: owner, loginRole: `${owner}_login` }
}

/** The server the scratch copy goes to: the registry's, or --scratch-url's. */
interface ScratchServer {
  admin: Knex
  loginAs(user: string, password: string): Knex.PgConnectionConfig
  kind: 'registry' | 'scratch-url'
  close(): Promise<void>
}

async function scratchServer(db: Db, url?: string): Promise<ScratchServer> {
  if (!url) return { admin: db.knex, loginAs: db.loginAs, kind: 'registry', close: async () => undefined }
  let parsed: URL
  try {
    parsed = new URL(url)
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error('not a postgres URL')
  } catch (err) {
    // The URL may hold a password: the message never repeats it.
    throw usageError('--scratch-url is not a postgres:// URL', { actions: ['Example: --scratch-url postgres://verify_admin@scratch-db.internal/erp_scratch'], cause: err })
  }
  const admin = await createKnex({ connection: url, poolMax: 2 })
  try {
    await admin.raw('select 1')
  } catch (err) {
    await admin.destroy()
    throw translateDbError(err)
  }
  return {
    admin,
    kind: 'scratch-url',
    loginAs: (user, password) => {
      const u = new URL(url)
      u.username = encodeURIComponent(user)
      u.password = encodeURIComponent(password)
      return { connectionString: u.toString() }
    },
    close: () => admin.destroy(),
  }
}

/** Restore `file` into a scratch schema, compare, check, drop: see the file's comment. */
export async function deepVerifyArchive(db: Db, file: string, options: DeepVerifyOptions = {}): Promise<DeepVerifyResult> {
  const started = performance.now()
  // One pass, as a restore: the head (manifest, signature) is checked first, the rest is read into
  // the scratch schema (restore.ts says why rows may reach COPY before their checksum is known).
  const trusted = await openTrustedArchive(db, file, { trustUnsigned: options.trustUnsigned, decryptionKey: options.decryptionKey })
  try {
    return await deepVerifyOpen(db, file, trusted, options, started)
  } finally {
    trusted.reader.close()
  }
}

async function deepVerifyOpen(db: Db, file: string, trusted: TrustedArchive, options: DeepVerifyOptions, started: number): Promise<DeepVerifyResult> {
  const { manifest } = trusted.head
  const unknown = await unknownMigrations('tenant', manifest.migrations.applied)
  if (unknown.length) {
    throw newerSchemaError({ what: `The archive's tenant "${manifest.tenant.slug}"`, set: 'tenant', schema: manifest.tenant.schema, tenant: manifest.tenant.slug, unknown })
  }
  const { rows: prefixRows } = await db.knex.raw('select role_prefix from erp.registry_info')
  const rolePrefix: string = prefixRows[0].role_prefix
  const warnings: string[] = []
  if (trusted.signatureStatus !== 'valid') {
    warnings.push(`The archive is not signed by this registry (signature: ${trusted.signatureStatus}); verified on --trust-unsigned.`)
  }
  const server = await scratchServer(db, options.scratchUrl)
  try {
    await reclaimLeftovers(server.admin, rolePrefix)
    const names = scratchNames(rolePrefix, randomBytes(12).toString('hex'))
    const password = randomBytes(24).toString('base64url')
    await createScratch(server.admin, names, password)
    options.onScratch?.(names)
    let outcome: Omit<DeepVerifyResult, 'file' | 'tenant' | 'createdAt' | 'version' | 'encrypted' | 'signature' | 'tables' | 'rows' | 'status' | 'scratch' | 'warnings' | 'durationMs'> | undefined
    let failure: unknown
    const session = await createKnex({ connection: server.loginAs(names.ownerRole, password), poolMax: 1, applicationName: 'erp verify --deep' })
    try {
      outcome = await restoreAndCheck(session, { file, manifest, reader: trusted.reader }, names, warnings)
    } catch (err) {
      failure = err
    } finally {
      await session.destroy().catch(() => undefined)
      try {
        await dropScratch(server.admin, names)
      } catch (err) {
        // A failed cleanup is reported, but never hides why the verification itself failed.
        if (!failure) failure = new ErpError(ErrorKind.FAILED, `Could not drop the scratch schema ${names.schema} and its roles: ${(err as Error).message}`, {
          actions: ['The next erp backup verify --deep on this server drops it once its login has expired (an hour).'],
          cause: err,
        })
      }
    }
    if (failure) throw isErpError(failure) ? failure : translateDbError(failure)
    const o = outcome!
    const problems = o.stock.drifted + o.stock.serialsDrifted > 0 || o.invoices.problems.length > 0
    return {
      file,
      tenant: manifest.tenant.slug,
      createdAt: manifest.createdAt,
      version: manifest.migrations.version,
      encrypted: trusted.head.encrypted,
      signature: trusted.signatureStatus,
      tables: manifest.tables.length,
      rows: manifest.totals.rows,
      status: o.mismatched.length ? 'mismatch' : problems ? 'problems' : 'ok',
      ...o,
      scratch: { schema: names.schema, server: server.kind },
      warnings,
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    await server.close()
  }
}

async function restoreAndCheck(
  session: Knex,
  source: FillSource,
  names: TenantNames,
  warnings: string[],
): Promise<Pick<DeepVerifyResult, 'mismatched' | 'stock' | 'invoices' | 'migrationsApplied'>> {
  const trx = await session.transaction()
  try {
    await trx.raw(`set local search_path to ${quoteIdent(names.schema)}`)
    await trx.raw('set local statement_timeout = 0')
    let mismatched: TableMismatch[] = []
    await fillSchema(trx, source, names, warnings, async (conn) => {
      mismatched = await compareWithManifest(conn, source.manifest)
    })
    const migrated = await migrateUp(trx, names.schema, 'tenant')
    const stock = await verifyLevels(trx, { limit: 20 })
    const invoices = await auditInvoiceNumbers(trx)
    return {
      mismatched,
      stock: { moves: stock.moves, levels: stock.levels, drifted: stock.drifted, serialsDrifted: stock.serialsDrifted },
      invoices,
      migrationsApplied: migrated.applied,
    }
  } finally {
    // Never committed: the copy exists only inside this transaction.
    await trx.rollback().catch(() => undefined)
  }
}

/**
 * Every table read back with COPY, under the settings the backup wrote its data with, counted and
 * hashed: a table restored to other values than the archive holds (a column type that rounds or
 * truncates, a default or a trigger that changes rows) hashes differently.
 */
async function compareWithManifest(conn: pg.Client, manifest: Manifest): Promise<TableMismatch[]> {
  const { to: copyTo } = await import('pg-copy-streams')
  const settings = manifest.copySettings
  if (settings) {
    await conn.query("select set_config('TimeZone', $1, true), set_config('DateStyle', $2, true), set_config('IntervalStyle', $3, true), set_config('extra_float_digits', $4, true)",
      [settings.timeZone, settings.dateStyle, settings.intervalStyle, String(settings.extraFloatDigits)])
  }
  const out: TableMismatch[] = []
  for (const table of manifest.tables) {
    const columns = table.columns.length ? ` (${table.columns.map(quoteIdent).join(', ')})` : ''
    const copy = conn.query(copyTo(`COPY ${quoteIdent(table.name)}${columns} TO STDOUT`))
    const tap = new DigestTap(true)
    await pipeline(copy, tap, new Writable({ write: (_c, _e, done) => done() }))
    const contentMatches = tap.bytes === table.bytes && tap.hash.digest('hex') === table.sha256
    if (!contentMatches || tap.lines !== table.rows) {
      out.push({ table: table.name, manifestRows: table.rows, restoredRows: tap.lines, contentMatches })
    }
  }
  return out
}

async function createScratch(admin: Knex, names: TenantNames, password: string): Promise<void> {
  try {
    await admin.transaction(async (trx) => {
      const { rows } = await trx.raw(`select (now() + interval '${SCRATCH_LOGIN_VALID}')::text as until`)
      await trx.raw(`create role ${quoteIdent(names.ownerRole)} login password ${quoteLiteral(scramVerifier(password))} valid until ${quoteLiteral(rows[0].until)}`)
      await trx.raw(`create role ${quoteIdent(names.loginRole)} nologin`)
      // A non-superuser admin (CREATEROLE) needs membership to drop what they own afterwards.
      await trx.raw(`grant ${quoteIdent(names.ownerRole)} to current_user`)
      await trx.raw(`grant ${quoteIdent(names.loginRole)} to current_user`)
      await grantConnect(trx, names.ownerRole)
      await trx.raw(`create schema ${quoteIdent(names.schema)} authorization ${quoteIdent(names.ownerRole)}`)
    })
  } catch (err) {
    throw new ErpError(ErrorKind.CONFIG, `Cannot create the scratch schema and role for the deep verification: ${(translateDbError(err) as Error).message}`, {
      actions: ['Run it with an admin profile that may create roles and schemas (or give --scratch-url such a server).'],
      cause: err,
    })
  }
}

async function dropScratch(admin: Knex, names: TenantNames): Promise<void> {
  // Its sessions first (a killed client's backend may linger), then everything it owns.
  await admin.raw('select pg_terminate_backend(pid) from pg_stat_activity where usename = any(?) and pid <> pg_backend_pid()', [[names.ownerRole, names.loginRole]])
  await admin.transaction(async (trx) => {
    await trx.raw(`drop schema if exists ${quoteIdent(names.schema)} cascade`)
    const { rows } = await trx.raw('select rolname from pg_roles where rolname = any(?)', [[names.ownerRole, names.loginRole]])
    const present = rows.map((r: { rolname: string }) => quoteIdent(r.rolname))
    if (present.length) await trx.raw(`drop owned by ${present.join(', ')}`)
    for (const role of present) await trx.raw(`drop role ${role}`)
  })
}

/** Scratch roles of this registry whose login has expired and that no session uses: a killed run's. */
async function reclaimLeftovers(admin: Knex, rolePrefix: string): Promise<string[]> {
  const { rows } = await admin.raw(
    `select substr(r.rolname, length(?) + 9) as id from pg_roles r
      where left(r.rolname, length(?)) = ? and substr(r.rolname, length(?) + 1) ~ '^_verify_[0-9a-f]{24}$'
        and r.rolvaliduntil < now()
        and not exists (select 1 from pg_stat_activity a where a.usename = r.rolname or a.usename = r.rolname || '_login')`,
    [rolePrefix, rolePrefix, rolePrefix, rolePrefix],
  )
  const reclaimed: string[] = []
  for (const { id } of rows as Array<{ id: string }>) {
    const names = scratchNames(rolePrefix, id)
    await dropScratch(admin, names).catch(() => undefined) // another run may be at it too
    reclaimed.push(names.schema)
  }
  return reclaimed
}

/** The archives under a folder or s3:// prefix (plain and encrypted), oldest first: `verify --deep --all`. */
export async function archivesIn(dir: string): Promise<string[]> {
  const location = parseLocation(dir, 'archive')
  return (await location.list())
    .filter((e) => !e.directory && (e.name.endsWith(ARCHIVE_SUFFIX) || e.name.endsWith(ARCHIVE_SUFFIX + ENCRYPTED_SUFFIX)))
    .map((e) => location.nameOf(e.name))
    .sort()
}

/** A mismatch as the error a single `verify --deep` exits with (65). */
export function mismatchError(result: DeepVerifyResult): ErpError {
  const list = result.mismatched.map((m) => `${m.table} (${m.restoredRows} of ${m.manifestRows} rows${m.contentMatches ? '' : ', content differs'})`)
  return invalidData(`Archive ${result.file} passes its checksums but does not restore to what its manifest says: ${list.join(', ')}`, {
    actions: ['Do not rely on it: use another archive of this tenant (erp backup list), and report this one.'],
    data: { file: result.file, mismatched: result.mismatched },
  })
}

export interface DeepVerifyOutcome {
  status: DeepVerifyResult['status'] | 'failed'
  /** Why it is not ok, in one line. */
  error?: string
  durationMs: number
}

/** `backup create --verify deep`: each new archive in turn; one failure does not stop the others. */
export async function deepVerifyFiles(db: Db, files: string[], options: DeepVerifyOptions = {}): Promise<DeepVerifyOutcome[]> {
  const outcomes: DeepVerifyOutcome[] = []
  for (const file of files) {
    const started = performance.now()
    try {
      const r = await deepVerifyArchive(db, file, options)
      const error = r.status === 'mismatch' ? mismatchError(r).message
        : r.status === 'problems' ? `the copy has ${r.stock.drifted + r.stock.serialsDrifted} drifted stock levels and ${r.invoices.problems.length} invoice-number problem(s)`
        : undefined
      outcomes.push({ status: r.status, ...(error ? { error } : {}), durationMs: r.durationMs })
    } catch (err) {
      outcomes.push({ status: 'failed', error: (err as Error).message, durationMs: Math.round(performance.now() - started) })
    }
  }
  return outcomes
}
