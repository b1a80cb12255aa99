import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import type { Knex } from 'knex'
import type pg from 'pg'

import { ErpError, ErrorKind } from '../errors.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { MIGRATIONS_TABLE } from '../db/migrator.js'
import { translateDbError } from '../db/sqlstate.js'
import { assertInScope } from '../db/tenant-scope.js'
import { forEachTenant, type TenantOutcome } from '../tenants/fleet.js'
import { getTenant, type Tenant } from '../tenants/tenant.js'
import { DigestTap, GZIP_OPTIONS, sha256, writeArchive, type DataFile } from './archive.js'
import { describeSchema, type SchemaDoc, type Sql, type TableInfo } from './ddl.js'
import { checkStatements } from './statements.js'
import { signManifest } from './signature.js'
import { signingKey } from './signing-key.js'
import { parseLocation } from './store.js'
import { ARCHIVE_FORMAT, COPY_SETTINGS, FORMAT_VERSION, SCHEMA_ENTRY, archiveFileName, dataEntryName, type Manifest, type ManifestTable } from './format.js'
import { ENCRYPTED_SUFFIX, type Recipient } from './encryption.js'

export interface BackupOptions {
  /** Where the archive goes: a folder (created if missing) or s3://bucket/prefix (store.ts). */
  outDir: string
  /** Tables dumped at once, each on its own connection sharing one snapshot. */
  jobs?: number
  toolVersion: string
  /** How long to wait for a table lock held by DDL (a migration) before giving up. */
  lockTimeoutMs?: number
  /** Told when the registry's signing key is first stored in the 0600 credentials file. */
  onWarning?: (message: string) => void
  /** Encrypt each archive to these OpenPGP keys (after signing it): `<name>.erp.tar.gpg`. */
  encryptTo?: Recipient[]
}

export interface BackupResult {
  tenant: string
  file: string
  bytes: number
  tables: number
  rows: number
  /** The newest migration applied when the backup was taken. */
  version: string | null
  createdAt: string
  /** Signed with the registry's key: always with an admin profile, never with a tenant's login. */
  signed: boolean
  /** Encrypted to these key fingerprints (--encrypt-to); empty when not encrypted. */
  encryptedTo: string[]
  durationMs: number
}

/** Staging folders of running (or killed) backups: `.acme-staging-XXXXXX`, cleaned by prune. */
export const STAGING_MARK = '-staging-'

/**
 * Back up one tenant: its schema's DDL and every table's data, all read from one snapshot (a
 * REPEATABLE READ, READ ONLY transaction whose snapshot the other connections import), while
 * writes go on. Tables are locked in ACCESS SHARE mode, as pg_dump does, so a concurrent migration
 * waits instead of changing a table under the backup. A suspended tenant can be backed up.
 */
export async function backupTenant(db: Db, slug: string, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now()
  assertInScope(db.scope, slug)
  const tenant = await getTenant(db.knex, db.scope, slug)
  // A tenant's login never holds the registry's key (it could sign anything with it).
  const key = db.scope.kind === 'admin' ? await signingKey(db, { onWarning: options.onWarning }) : undefined
  const location = parseLocation(options.outDir, '--out')
  // A folder must exist before its staging folder; an S3 client loads and reaches the bucket while
  // the tables are dumped (the upload waits for it).
  const prepared = location.prepare()
  prepared.catch(() => undefined)
  if (location.kind === 'local') await prepared
  const staging = await location.staging(`${slug}${STAGING_MARK}`)
  const jobs = Math.max(1, options.jobs ?? 2)
  const connections: pg.Client[] = []
  try {
    const main = await acquire(db.knex, connections)
    const q = sqlOn(main)
    await q('begin isolation level repeatable read, read only')
    const settings = transactionSettings(tenant.schema, { lock_timeout: String(Number(options.lockTimeoutMs ?? 60_000)), idle_in_transaction_session_timeout: '0' })
    const [info] = await q<{ now: Date; version: string; num: number }>(
      `select now() as now, current_setting('server_version') as version, current_setting('server_version_num')::int as num, ${settings.sql}`,
      settings.values,
    )
    await lockTables(q, tenant.schema)
    const { doc, tables } = await describeSchema(q, tenant.schema, tenant)
    refuseUnrestorable(doc, tenant.slug)
    const migrations = await appliedMigrations(q, tenant.schema)
    const ordered = [...tables].sort((a, b) => (a.name < b.name ? -1 : 1))
    const entries = new Map(ordered.map((t, i) => [t.name, dataEntryName(i)]))

    const stagedAs = (table: TableInfo) => {
      const entry = entries.get(table.name)!
      return { entry, file: path.join(staging, entry.replace('/', '_')) }
    }
    // A table whose data file is empty (it never held a row, or was truncated) has no row to COPY
    // (ACCESS SHARE keeps TRUNCATE and VACUUM from changing that under the backup): its empty entry
    // is written here, no query needed.
    const dumped = new Map<string, DataFile>()
    for (const table of tables.filter((t) => t.heapSize === 0)) {
      const { entry, file } = stagedAs(table)
      dumped.set(table.name, { file, table: await emptyTable(table, entry, file) })
    }
    // Workers take the biggest tables first; each has its own connection in the same snapshot.
    const queue = tables.filter((t) => t.heapSize > 0).sort((a, b) => b.size - a.size)
    const helpers = Math.min(jobs, queue.length) - 1
    const snapshot = helpers > 0 ? (await q<{ id: string }>('select pg_export_snapshot() as id'))[0].id : undefined
    const worker = async (conn: pg.Client) => {
      try {
        for (let table = queue.shift(); table; table = queue.shift()) {
          const { entry, file } = stagedAs(table)
          dumped.set(table.name, { file, table: await dumpTable(conn, table, entry, file) })
        }
      } catch (err) {
        queue.length = 0
        throw err
      }
    }
    // Each worker's failure is collected by settleAll, after all have been started.
    const start = (conn: pg.Client) => {
      const running = worker(conn)
      running.catch(() => undefined)
      return running
    }
    const workers = [start(main)]
    for (let i = 0; i < helpers; i++) {
      const conn = await acquire(db.knex, connections)
      const w = sqlOn(conn)
      await w('begin isolation level repeatable read, read only')
      await w(`set transaction snapshot ${quoteLiteralSnapshot(snapshot!)}`)
      const pinned = transactionSettings(tenant.schema, {})
      await w(`select ${pinned.sql}`, pinned.values)
      workers.push(start(conn))
    }
    await settleAll(workers)
    for (const conn of connections) await conn.query('commit')

    const schemaJson = Buffer.from(JSON.stringify(doc))
    const data = ordered.map((t) => dumped.get(t.name)!)
    const createdAt = new Date(info.now)
    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      formatVersion: FORMAT_VERSION,
      tenant: {
        slug: tenant.slug, name: tenant.name, plan: tenant.plan, status: tenant.status,
        schema: tenant.schema, ownerRole: tenant.ownerRole, loginRole: tenant.loginRole,
      },
      migrations: { applied: migrations, version: migrations.at(-1) ?? null },
      server: { version: info.version, versionNum: info.num },
      tool: { name: 'erp', version: options.toolVersion },
      createdAt: createdAt.toISOString(),
      compression: 'gzip',
      copySettings: COPY_SETTINGS,
      schema: { entry: SCHEMA_ENTRY, sha256: sha256(schemaJson), bytes: schemaJson.length, statements: doc.statements.length },
      tables: data.map((d) => d.table),
      totals: {
        tables: data.length,
        rows: data.reduce((n, d) => n + d.table.rows, 0),
        bytes: data.reduce((n, d) => n + d.table.bytes, 0),
      },
    }
    await prepared
    const encryptTo = options.encryptTo?.length ? options.encryptTo : undefined
    const name = archiveFileName(tenant.slug, createdAt) + (encryptTo ? ENCRYPTED_SUFFIX : '')
    const file = location.kind === 'local' ? path.join(path.resolve(options.outDir), name) : location.nameOf(name)
    if (await location.stat(name)) {
      throw new ErpError(ErrorKind.CONFLICT, `An archive named ${name} already exists`, { actions: ['Run the backup again.'] })
    }
    const bytes = await writeArchive(file, manifest, schemaJson, data, key && ((json) => signManifest(key, json)), encryptTo)
    return {
      tenant: tenant.slug,
      file,
      bytes,
      tables: manifest.totals.tables,
      rows: manifest.totals.rows,
      version: manifest.migrations.version,
      createdAt: manifest.createdAt,
      signed: key !== undefined,
      encryptedTo: encryptTo?.map((r) => r.fingerprint) ?? [],
      durationMs: Math.round(performance.now() - started),
    }
  } catch (err) {
    throw translateDbError(err)
  } finally {
    for (const conn of connections) await release(db.knex, conn)
    await fs.rm(staging, { recursive: true, force: true })
  }
}

export interface FleetBackupOptions extends BackupOptions {
  concurrency: number
  onTenantDone?: (outcome: TenantOutcome<BackupResult>, finished: number) => void
}

/** Back up many tenants, `concurrency` at a time; one tenant's failure does not stop the others. */
export function backupTenants(db: Db, tenants: Tenant[], options: FleetBackupOptions): Promise<TenantOutcome<BackupResult>[]> {
  return forEachTenant(tenants.map((t) => t.slug), options.concurrency, (slug) => backupTenant(db, slug, options), options.onTenantDone)
}

async function dumpTable(conn: pg.Client, table: TableInfo, entry: string, file: string): Promise<ManifestTable> {
  const { to: copyTo } = await import('pg-copy-streams')
  const columns = table.columns.length ? ` (${table.columns.map(quoteIdent).join(', ')})` : ''
  const copy = conn.query(copyTo(`COPY ${quoteIdent(table.name)}${columns} TO STDOUT`))
  const tap = new DigestTap()
  const compressed = new DigestTap()
  const out = createWriteStream(file)
  await pipeline(copy, tap, zlib.createGzip(GZIP_OPTIONS), compressed, out)
  return {
    name: table.name,
    entry,
    columns: table.columns,
    rows: copy.rowCount,
    bytes: tap.bytes,
    sha256: tap.hash.digest('hex'),
    compressedBytes: out.bytesWritten,
    compressedSha256: compressed.hash.digest('hex'),
  }
}

let emptyGzip: Buffer | undefined

/** The entry of a table with no rows: what dumpTable would write for it, without the COPY. */
async function emptyTable(table: TableInfo, entry: string, file: string): Promise<ManifestTable> {
  emptyGzip ??= zlib.gzipSync(Buffer.alloc(0), GZIP_OPTIONS)
  await fs.writeFile(file, emptyGzip)
  return {
    name: table.name,
    entry,
    columns: table.columns,
    rows: 0,
    bytes: 0,
    sha256: sha256(Buffer.alloc(0)),
    compressedBytes: emptyGzip.length,
    compressedSha256: sha256(emptyGzip),
  }
}

/** A backup whose statements restore would refuse is useless: say so now, not on the day it is needed. */
function refuseUnrestorable(doc: SchemaDoc, slug: string): void {
  try {
    checkStatements(doc.statements, `The schema of tenant ${slug}`)
  } catch (err) {
    const problem = (err as ErpError).message
    throw new ErpError(ErrorKind.FAILED, `erp cannot back up tenant ${slug}: restore would refuse what it writes for this schema (${problem})`, {
      actions: ['Report this as a bug in erp, with the object named; meanwhile take this tenant\'s backup with pg_dump.'],
      cause: err,
    })
  }
}

/**
 * A backup transaction's settings, set_config(…, true) each, in one round trip: the tenant's
 * search_path, no statement timeout, `extra`, and the settings COPY's text output depends on,
 * pinned (as pg_dump pins DateStyle and friends), so the data reads back the same on any server and
 * the manifest's checksums can be compared with a copy restored elsewhere (backup verify --deep).
 * Values are erp's own constants.
 */
function transactionSettings(schema: string, extra: Record<string, string>): { sql: string; values: string[] } {
  const settings: Record<string, string> = {
    search_path: quoteIdent(schema),
    statement_timeout: '0',
    TimeZone: COPY_SETTINGS.timeZone,
    DateStyle: COPY_SETTINGS.dateStyle,
    IntervalStyle: COPY_SETTINGS.intervalStyle,
    extra_float_digits: String(COPY_SETTINGS.extraFloatDigits),
    ...extra,
  }
  const names = Object.keys(settings)
  return {
    sql: names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', '),
    values: names.flatMap((name) => [name, settings[name]]),
  }
}

/** ACCESS SHARE locks on every table: DDL waits for the backup (and the backup for DDL under way). */
async function lockTables(q: Sql, schema: string): Promise<void> {
  const rows = await q<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'r' order by c.relname`,
    [schema],
  )
  const tables = rows.filter((r) => r.relname).map((r) => quoteIdent(r.relname))
  if (tables.length) await q(`lock table ${tables.join(', ')} in access share mode`)
}

async function appliedMigrations(q: Sql, schema: string): Promise<string[]> {
  const [present] = await q<{ ok: boolean }>('select to_regclass($1) is not null as ok', [`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`])
  if (!present.ok) return []
  return (await q<{ name: string }>(`select name from ${MIGRATIONS_TABLE} order by name`)).map((r) => r.name)
}

// pg_export_snapshot() ids look like 00000003-0000001B-1; they are never user input.
function quoteLiteralSnapshot(id: string): string {
  if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`Unexpected snapshot id ${id}`)
  return `'${id}'`
}

/** Wait for every promise; rethrow the first failure only once all have stopped. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

export function sqlOn(conn: pg.Client): Sql {
  return async (text, values) => (await conn.query(text, values as unknown[])).rows
}

async function acquire(knex: Knex, list: pg.Client[]): Promise<pg.Client> {
  const conn = (await knex.client.acquireConnection()) as pg.Client
  list.push(conn)
  return conn
}

/** Back to the pool, out of any transaction; a connection in an unknown state is closed instead. */
async function release(knex: Knex, conn: pg.Client): Promise<void> {
  try {
    await conn.query('rollback')
    await knex.client.releaseConnection(conn)
  } catch {
    await knex.client.releaseConnection(conn).catch(() => undefined)
    conn.end().catch(() => undefined)
  }
}
