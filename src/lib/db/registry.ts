import type { Knex } from 'knex'

import { ErpError, ErrorKind } from '../cli/errors.js'
import { REGISTRY_SCHEMA, quoteIdent } from './identifiers.js'
import { loadMigrations, migrateUp, migrationLock, type MigrationOutcome } from './migrator.js'

/**
 * The registry schema (`erp`): tenants and the audit log. Admin connections bring it up to date on
 * first use, so a fresh server needs no setup step; the advisory lock in migrateUp keeps concurrent
 * first uses safe.
 */
export async function ensureRegistry(knex: Knex): Promise<MigrationOutcome | undefined> {
  if (await registryIsCurrent(knex)) return undefined
  return migrateRegistry(knex)
}

export async function migrateRegistry(knex: Knex): Promise<MigrationOutcome> {
  return knex.transaction(async (trx) => {
    // Before CREATE SCHEMA IF NOT EXISTS, which two first runs at once could both attempt.
    await migrationLock(trx, REGISTRY_SCHEMA)
    await trx.raw(`create schema if not exists ${quoteIdent(REGISTRY_SCHEMA)}`)
    await trx.raw(`set local search_path to ${quoteIdent(REGISTRY_SCHEMA)}`)
    return migrateUp(trx, REGISTRY_SCHEMA, 'registry')
  })
}

async function registryIsCurrent(knex: Knex): Promise<boolean> {
  return (await pendingRegistryMigrations(knex)).length === 0
}

/** Registry migrations the code has and the database has not applied yet. */
export async function pendingRegistryMigrations(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw(
    `select to_regclass(?) is not null as present`,
    [`${REGISTRY_SCHEMA}.knex_migrations`],
  )
  const all = (await loadMigrations('registry')).map((m) => m.name)
  if (!rows[0].present) return all
  const applied = await knex.raw(`select name from ${quoteIdent(REGISTRY_SCHEMA)}.knex_migrations`)
  const names = new Set(applied.rows.map((r: { name: string }) => r.name))
  return all.filter((name) => !names.has(name))
}

/** The admin check done before registry-wide work: a tenant login cannot manage tenants. */
export function requireAdmin(scope: { kind: string }, what: string): void {
  if (scope.kind !== 'admin') {
    throw new ErpError(ErrorKind.NOT_ALLOWED, `${what} needs an admin profile; this profile is scoped to one tenant.`, {
      actions: ['Use an admin profile: erp --profile <admin> …, or unset ERP_PROFILE.'],
    })
  }
}
