import type { Knex } from 'knex'

import { ErpError, ErrorKind } from '../errors.js'
import type { Db } from './connect.js'
import { REGISTRY_SCHEMA, quoteIdent } from './identifiers.js'
import { MIGRATIONS_TABLE, migrateUp, migrationLock, migrationNames, type MigrationOutcome } from './migrator.js'
import { newerSchemaError, type NewerSchema } from './newer-schema.js'
import { backfillSchemaMigrations } from './schema-migrations.js'
import { SqlState, sqlStateOf } from './sqlstate.js'

export interface RegistryCheck {
  /** What ensureRegistry applied, if anything. */
  migrated?: MigrationOutcome
  /** Applied registry migrations this erp does not know: a newer erp migrated the registry. */
  unknown: string[]
}

/** What ensureRegistry found per connection pool, so registry writes are refused without asking again. */
const checked = new WeakMap<Knex, string[]>()

/**
 * The registry schema (`erp`): tenants and the audit log. Admin connections bring it up to date on
 * first use, so a fresh server needs no setup step; the advisory lock in migrateUp keeps concurrent
 * first uses safe. A registry migrated by a newer erp is left as it is: reads go on (the command
 * warns), registry writes are refused by requireRegistryWrite.
 */
export async function ensureRegistry(knex: Knex): Promise<RegistryCheck> {
  const { pending, unknown } = await registryMigrationState(knex)
  checked.set(knex, unknown)
  if (unknown.length || pending.length === 0) return { unknown }
  return { migrated: await migrateRegistry(knex), unknown }
}

export async function migrateRegistry(knex: Knex): Promise<MigrationOutcome> {
  const outcome = await knex.transaction(async (trx) => {
    // Before CREATE SCHEMA IF NOT EXISTS, which two first runs at once could both attempt.
    await migrationLock(trx, REGISTRY_SCHEMA)
    await trx.raw(`create schema if not exists ${quoteIdent(REGISTRY_SCHEMA)}`)
    await trx.raw(`set local search_path to ${quoteIdent(REGISTRY_SCHEMA)}`)
    return migrateUp(trx, REGISTRY_SCHEMA, 'registry')
  })
  // After the commit, in transactions of its own (see backfillSchemaMigrations); again on every
  // explicit `migrate latest --registry`, which finishes what a killed backfill left.
  await backfillSchemaMigrations(knex)
  return outcome
}

/** Registry migrations the code has and the database has not applied yet, and applied ones it does not know. */
export async function registryMigrationState(knex: Knex): Promise<{ pending: string[]; unknown: string[] }> {
  const all = await migrationNames('registry')
  const names = await appliedRegistryMigrations(knex)
  if (!names) return { pending: all, unknown: [] }
  const known = new Set(all)
  return { pending: all.filter((name) => !names.has(name)), unknown: [...names].filter((name) => !known.has(name)).sort() }
}

/**
 * The registry migrations applied, or undefined before the first one (no table yet). Every admin
 * command asks, so it is one round trip: the table is read, and its absence is the error that says
 * so. Inside a transaction, which a failed statement would abort, its presence is asked first.
 */
async function appliedRegistryMigrations(knex: Knex): Promise<Set<string> | undefined> {
  const table = `${quoteIdent(REGISTRY_SCHEMA)}.${MIGRATIONS_TABLE}`
  if ((knex as { isTransaction?: boolean }).isTransaction) {
    const { rows } = await knex.raw(`select to_regclass(?) is not null as present`, [`${REGISTRY_SCHEMA}.${MIGRATIONS_TABLE}`])
    if (!rows[0].present) return undefined
  }
  try {
    const { rows } = await knex.raw(`select name from ${table}`)
    return new Set<string>(rows.map((r: { name: string }) => r.name))
  } catch (err) {
    const state = sqlStateOf(err)
    if (state === SqlState.UNDEFINED_TABLE || state === SqlState.INVALID_SCHEMA_NAME) return undefined
    throw err
  }
}

/** Registry migrations the code has and the database has not applied yet. */
export async function pendingRegistryMigrations(knex: Knex): Promise<string[]> {
  return (await registryMigrationState(knex)).pending
}

/** The registry as a schema a newer erp migrated, for messages. */
export const newerRegistry = (unknown: string[]): NewerSchema => ({ what: 'The registry', set: 'registry', schema: REGISTRY_SCHEMA, unknown })

/**
 * requireAdmin, and the refusal of registry writes (tenants created, deleted, suspended, migrated;
 * fleet run records) when a newer erp has migrated the registry. Listing and reading go on. The
 * audit log is not refused: it is written through erp.record_audit, whose signature is the contract,
 * and a record of what an older erp did is worth more than none.
 */
export async function requireRegistryWrite(db: Db, what: string): Promise<void> {
  requireAdmin(db.scope, what)
  let unknown = checked.get(db.knex)
  if (unknown === undefined) {
    unknown = (await registryMigrationState(db.knex)).unknown
    checked.set(db.knex, unknown)
  }
  if (unknown.length) throw newerSchemaError(newerRegistry(unknown))
}

/** The admin check done before registry-wide work: a tenant login cannot manage tenants. */
export function requireAdmin(scope: { kind: string }, what: string): void {
  if (scope.kind !== 'admin') {
    throw new ErpError(ErrorKind.NOT_ALLOWED, `${what} needs an admin profile; this profile is scoped to one tenant.`, {
      actions: ['Use an admin profile: erp --profile <admin> …, or unset ERP_PROFILE.'],
    })
  }
}
