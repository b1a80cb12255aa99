import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, notAllowed, usageError } from '../errors.js'
import { packageRoot } from '../paths.js'
import { allowTenantTriggers } from './citus.js'
import { quoteIdent } from './identifiers.js'
import { newerSchemaError } from './newer-schema.js'

/**
 * A migrator for knex-style migration files (`export async function up(knex)` / `down(knex)`),
 * applied inside one schema. knex's own migrator keeps a lock table and runs one migration per
 * transaction; erp needs all of a schema's pending migrations in one transaction under one advisory
 * lock, and a fleet-wide status in one query, so it keeps knex's file format and bookkeeping table
 * (`knex_migrations`: name, batch, migration_time) and drives them itself.
 */

export type MigrationSet = 'registry' | 'tenant'

export interface MigrationFile {
  name: string
  up: (knex: Knex) => Promise<unknown>
  down?: (knex: Knex) => Promise<unknown>
}

export interface MigrationOutcome {
  schema: string
  /** What this run applied (or, rolling back, undid). */
  applied: string[]
  batch?: number
  /** Every migration applied to the schema afterwards, in name order (what the registry records). */
  migrations: string[]
}

export interface AppliedMigration {
  name: string
  batch: number
}

export const MIGRATIONS_TABLE = 'knex_migrations'

/** The folder holding a migration set; ERP_MIGRATIONS_DIR swaps the whole tree (tests, benchmarks). */
export function migrationsDir(set: MigrationSet): string {
  const root = process.env.ERP_MIGRATIONS_DIR
    ? path.resolve(process.env.ERP_MIGRATIONS_DIR)
    : path.join(packageRoot(), 'migrations')
  return path.join(root, set)
}

const MIGRATION_NAME = /^\d{14}_[a-z0-9_]+\.js$/

/**
 * Migration files of a set, in name (timestamp) order. The folder is listed on every call: it may
 * change between two commands run in one process (the tests run them in-process). The files are
 * imported once per listing, so a fleet run imports them once.
 */
const cache = new Map<string, { listing: string; files: Promise<MigrationFile[]> }>()
export async function loadMigrations(set: MigrationSet): Promise<MigrationFile[]> {
  const dir = migrationsDir(set)
  const names = await migrationNames(set)
  const listing = names.join('\n')
  let cached = cache.get(dir)
  if (cached?.listing !== listing) {
    cached = { listing, files: importMigrations(dir, names) }
    cache.set(dir, cached)
  }
  return cached.files
}

/** The names of a set's migration files, in order, without importing them (what is pending needs no more). */
export async function migrationNames(set: MigrationSet): Promise<string[]> {
  const dir = migrationsDir(set)
  if (!existsSync(dir)) throw new ErpError(ErrorKind.CONFIG, `Migrations folder not found: ${dir}`)
  return (await fs.readdir(dir)).filter((f) => MIGRATION_NAME.test(f)).sort()
}

function importMigrations(dir: string, names: string[]): Promise<MigrationFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const mod = await import(pathToFileURL(path.join(dir, name)).href)
      if (typeof mod.up !== 'function') throw new ErpError(ErrorKind.CONFIG, `Migration ${name} exports no up() function`)
      return { name, up: mod.up, down: mod.down }
    }),
  )
}

/** Lock key for one schema's migrations: concurrent runs on one schema queue up, others go on. */
export const migrationLock = (trx: Knex.Transaction, schema: string) =>
  trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [migrationLockKey(schema)])

/** The advisory lock key text of a schema's migrations (hashtextextended(key, 0)). */
export const migrationLockKey = (schema: string) => `erp.migrate:${schema}`

/** Another run holds the schema's migration lock (migrateUp with `lock: 'try'`). */
export class MigrationLockBusy extends ErpError {
  constructor(readonly schema: string) {
    super(ErrorKind.TEMPORARY, `Another migration run is working on schema ${schema}`, {
      actions: ['It finishes on its own; run migrate latest again to check.'],
    })
  }
}

export interface MigrateUpOptions {
  /**
   * 'wait' (the default) queues behind another run holding the schema's lock (bounded by the
   * transaction's lock_timeout); 'try' gives up at once with MigrationLockBusy, so a fleet run can
   * do other tenants first and come back; 'held' when the caller took it already (migrationLockKey).
   */
  lock?: 'wait' | 'try' | 'held'
}

async function ensureTable(trx: Knex.Transaction, schema: string): Promise<void> {
  await trx.raw(
    `create table if not exists ${quoteIdent(schema)}.${MIGRATIONS_TABLE} (
       id serial primary key, name varchar(255) not null unique, batch integer not null,
       migration_time timestamptz not null default now())`,
  )
}

/**
 * ensureTable, then appliedMigrations: two statements, two calls (they were one multi-statement
 * call, which Citus refuses once the schema is distributed: one prepared statement, one command).
 */
async function ensureTableAndRead(trx: Knex.Transaction, schema: string): Promise<AppliedMigration[]> {
  await ensureTable(trx, schema)
  return appliedMigrations(trx, schema)
}

/** A schema's applied migrations in the order they ran; none when it has no bookkeeping table. */
export async function appliedMigrations(knex: Knex, schema: string): Promise<AppliedMigration[]> {
  const { rows } = await knex.raw('select to_regclass(?) is not null as present', [`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`])
  if (!rows[0].present) return []
  return (await knex.raw(`select name, batch from ${quoteIdent(schema)}.${MIGRATIONS_TABLE} order by id`)).rows
}

/**
 * Refuse a schema migrated by a newer erp (applied migrations this tree does not have), as knex's
 * validateMigrationList does: applying "around" unknown migrations, or undoing them without their
 * files, would leave a schema neither erp describes.
 */
function refuseUnknown(schema: string, set: MigrationSet, done: AppliedMigration[], files: MigrationFile[]): void {
  const known = new Set(files.map((m) => m.name))
  const unknown = done.map((m) => m.name).filter((name) => !known.has(name)).sort()
  if (unknown.length) {
    throw newerSchemaError({ what: set === 'registry' ? 'The registry' : 'A tenant', set, schema, unknown })
  }
}

const sortedNames = (migrations: AppliedMigration[]) => migrations.map((m) => m.name).sort()

/**
 * Apply every pending migration of `set` to `schema`, inside the caller's transaction, which must
 * already have the schema on its search_path (and the role that should own what is created).
 */
export async function migrateUp(
  trx: Knex.Transaction,
  schema: string,
  set: MigrationSet,
  options: MigrateUpOptions = {},
): Promise<MigrationOutcome> {
  if (options.lock === 'try') {
    const { rows } = await trx.raw('select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked', [migrationLockKey(schema)])
    if (!rows[0].locked) throw new MigrationLockBusy(schema)
  } else if (options.lock !== 'held') {
    await migrationLock(trx, schema)
  }
  if (set === 'tenant') await allowTenantTriggers(trx)
  const done = await ensureTableAndRead(trx, schema)
  const files = await loadMigrations(set)
  refuseUnknown(schema, set, done, files)
  const doneNames = new Set(done.map((m) => m.name))
  const pending = files.filter((m) => !doneNames.has(m.name))
  if (pending.length === 0) return { schema, applied: [], migrations: sortedNames(done) }
  const batch = Math.max(0, ...done.map((m) => m.batch)) + 1
  for (const migration of pending) {
    try {
      await migration.up(trx)
    } catch (err) {
      throw new ErpError(ErrorKind.FAILED, `Migration ${migration.name} failed in schema ${schema}: ${(err as Error).message}`, { cause: err })
    }
  }
  await trx(trx.raw(`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`)).insert(pending.map((m) => ({ name: m.name, batch })))
  return { schema, applied: pending.map((m) => m.name), batch, migrations: [...doneNames, ...pending.map((m) => m.name)].sort() }
}

export interface RollbackPlan {
  schema: string
  /** The batch a rollback would undo, and its migrations, newest first (none: nothing applied). */
  batch?: number
  names: string[]
  /** Why this rollback is refused (it would undo the schema's base), if it is. */
  refusal?: ErpError
}

/**
 * What rolling back `schema` would undo, and whether that is allowed. The base batch (the schema's
 * first batch, which provisioning applies) is never rolled back, nor a batch holding the tree's
 * first migration (a batch that would leave nothing applied is the first one): down() of those drops the tables
 * every command needs and leaves a registered, "active" tenant that cannot work.
 */
export function planRollback(
  schema: string,
  done: AppliedMigration[],
  files: MigrationFile[],
  describe: { tenant?: string } = {},
): RollbackPlan {
  if (done.length === 0) return { schema, names: [] }
  const batches = done.map((m) => m.batch)
  const batch = Math.max(...batches)
  const names = done.filter((m) => m.batch === batch).map((m) => m.name).reverse()
  const foundation = files[0]?.name
  const base = batch === Math.min(...batches) || names.includes(foundation)
  if (!base) return { schema, batch, names }
  const who = describe.tenant ? `tenant "${describe.tenant}"` : `schema ${schema}`
  const refusal = notAllowed(
    `Refusing to roll back batch ${batch} of ${who}: it is the base batch (${names.length} migration(s), ${names.at(-1)} … ${names[0]}), ` +
      'whose down() drops the tables every command needs, leaving an active tenant that cannot work.',
    {
      actions: [
        'Only batches applied after provisioning are rolled back (erp migrate status shows what is applied).',
        describe.tenant ? `To go back to an earlier state: erp backup restore <archive> --force (the tenant is backed up first).` : 'Restore an earlier backup instead.',
        describe.tenant ? `To remove the tenant altogether: erp tenants delete ${describe.tenant}` : 'Delete the tenant instead.',
      ],
      data: { schema, tenant: describe.tenant, batch, migrations: names },
    },
  )
  return { schema, batch, names, refusal }
}

/** The rollback plan of a schema as it is now (read only; migrateDown checks again under the lock). */
export async function readRollbackPlan(knex: Knex, schema: string, set: MigrationSet, describe: { tenant?: string } = {}): Promise<RollbackPlan> {
  const done = await appliedMigrations(knex, schema)
  const files = await loadMigrations(set)
  refuseUnknown(schema, set, done, files)
  return planRollback(schema, done, files, describe)
}

/** Undo the last batch applied to `schema`, newest first; the base batch is refused (planRollback). */
export async function migrateDown(
  trx: Knex.Transaction,
  schema: string,
  set: MigrationSet,
  describe: { tenant?: string } = {},
): Promise<MigrationOutcome> {
  await migrationLock(trx, schema)
  if (set === 'tenant') await allowTenantTriggers(trx)
  await ensureTable(trx, schema)
  const done = await appliedMigrations(trx, schema)
  const fileList = await loadMigrations(set)
  refuseUnknown(schema, set, done, fileList)
  const plan = planRollback(schema, done, fileList, describe)
  if (plan.refusal) throw plan.refusal
  if (plan.batch === undefined) return { schema, applied: [], migrations: [] }
  const batch = plan.batch
  const files = new Map(fileList.map((m) => [m.name, m]))
  const last = done.filter((m) => m.batch === batch).reverse()
  for (const { name } of last) {
    const file = files.get(name)
    if (!file?.down) {
      throw new ErpError(ErrorKind.FAILED, `Cannot roll back ${name} in ${schema}: ${file ? 'it has no down()' : 'its file is missing'}`)
    }
    await file.down(trx)
  }
  await trx(trx.raw(`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`)).whereIn('name', last.map((m) => m.name)).delete()
  return { schema, applied: last.map((m) => m.name), batch, migrations: sortedNames(done.filter((m) => m.batch !== batch)) }
}

const STATUS_CHUNK = 1000

/** Applied migration names per schema, in one query per 1,000 schemas (no connection per tenant). */
export async function appliedBySchema(knex: Knex, schemas: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(schemas.map((s) => [s, []]))
  if (schemas.length === 0) return result
  // The catalogs directly: information_schema.tables checks privileges row by row and gets slow
  // on a fleet of thousands of schemas.
  const { rows: existing } = await knex.raw(
    `select n.nspname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relname = ? and c.relkind = 'r' and n.nspname = any(?)`,
    [MIGRATIONS_TABLE, schemas],
  )
  const withTable = existing.map((r: { nspname: string }) => r.nspname) as string[]
  // One statement per 1,000 schemas: a statement locks every table it reads until it ends, and the
  // server's lock table (max_locks_per_transaction × connections) is shared by all sessions.
  for (let i = 0; i < withTable.length; i += STATUS_CHUNK) {
    const chunk = withTable.slice(i, i + STATUS_CHUNK)
    const union = chunk
      .map((s) => `select ?::text as schema, name from ${quoteIdent(s)}.${MIGRATIONS_TABLE}`)
      .join(' union all ')
    const { rows } = await knex.raw(union, chunk)
    for (const row of rows as Array<{ schema: string; name: string }>) result.get(row.schema)!.push(row.name)
  }
  return result
}

/** A new, empty migration file in `set`, named with a UTC timestamp. Returns its path. */
export async function makeMigration(set: MigrationSet, name: string): Promise<string> {
  if (!/^[a-z][a-z0-9_]{0,80}$/.test(name)) {
    throw usageError(`Invalid migration name ${JSON.stringify(name)}: use lowercase letters, digits and _`)
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
  const file = path.join(migrationsDir(set), `${stamp}_${name}.js`)
  const scope = set === 'tenant' ? "the tenant's schema (search_path is set to it)" : 'the registry schema'
  await fs.writeFile(
    file,
    `/**\n * Runs inside ${scope}, in one transaction with the other pending migrations.\n` +
      ` * @param {import('knex').Knex} knex\n */\nexport async function up(knex) {\n}\n\n` +
      `/** @param {import('knex').Knex} knex */\nexport async function down(knex) {\n}\n`,
    { flag: 'wx' },
  )
  return file
}
