import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, usageError } from '../cli/errors.js'
import { packageRoot } from '../paths.js'
import { allowTenantTriggers } from './citus.js'
import { quoteIdent } from './identifiers.js'

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
  applied: string[]
  batch?: number
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

/** Migration files of a set, in name (timestamp) order. Cached per process: fleet runs load them once. */
const cache = new Map<string, Promise<MigrationFile[]>>()
export function loadMigrations(set: MigrationSet): Promise<MigrationFile[]> {
  const dir = migrationsDir(set)
  let files = cache.get(dir)
  if (!files) {
    files = readMigrations(dir)
    cache.set(dir, files)
  }
  return files
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  if (!existsSync(dir)) throw new ErpError(ErrorKind.CONFIG, `Migrations folder not found: ${dir}`)
  const names = (await fs.readdir(dir)).filter((f) => MIGRATION_NAME.test(f)).sort()
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
 * ensureTable, then appliedNames: two statements, two calls (they were one multi-statement call,
 * which Citus refuses once the schema is distributed: one prepared statement, one command).
 */
async function ensureTableAndRead(trx: Knex.Transaction, schema: string): Promise<Array<{ name: string; batch: number }>> {
  await ensureTable(trx, schema)
  return appliedNames(trx, schema)
}

async function appliedNames(trx: Knex.Transaction, schema: string): Promise<Array<{ name: string; batch: number }>> {
  const { rows } = await trx.raw(`select name, batch from ${quoteIdent(schema)}.${MIGRATIONS_TABLE} order by id`)
  return rows
}

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
  const doneNames = new Set(done.map((m) => m.name))
  const pending = (await loadMigrations(set)).filter((m) => !doneNames.has(m.name))
  if (pending.length === 0) return { schema, applied: [] }
  const batch = Math.max(0, ...done.map((m) => m.batch)) + 1
  for (const migration of pending) {
    try {
      await migration.up(trx)
    } catch (err) {
      throw new ErpError(ErrorKind.FAILED, `Migration ${migration.name} failed in schema ${schema}: ${(err as Error).message}`, { cause: err })
    }
  }
  await trx(trx.raw(`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`)).insert(pending.map((m) => ({ name: m.name, batch })))
  return { schema, applied: pending.map((m) => m.name), batch }
}

/** Undo the last batch applied to `schema`, newest first. */
export async function migrateDown(trx: Knex.Transaction, schema: string, set: MigrationSet): Promise<MigrationOutcome> {
  await migrationLock(trx, schema)
  if (set === 'tenant') await allowTenantTriggers(trx)
  await ensureTable(trx, schema)
  const done = await appliedNames(trx, schema)
  if (done.length === 0) return { schema, applied: [] }
  const batch = Math.max(...done.map((m) => m.batch))
  const files = new Map((await loadMigrations(set)).map((m) => [m.name, m]))
  const last = done.filter((m) => m.batch === batch).reverse()
  for (const { name } of last) {
    const file = files.get(name)
    if (!file?.down) {
      throw new ErpError(ErrorKind.FAILED, `Cannot roll back ${name} in ${schema}: ${file ? 'it has no down()' : 'its file is missing'}`)
    }
    await file.down(trx)
  }
  await trx(trx.raw(`${quoteIdent(schema)}.${MIGRATIONS_TABLE}`)).whereIn('name', last.map((m) => m.name)).delete()
  return { schema, applied: last.map((m) => m.name), batch }
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
