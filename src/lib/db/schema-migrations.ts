import type { Knex } from 'knex'

import { REGISTRY_SCHEMA, quoteIdent } from './identifiers.js'
import { appliedBySchema, appliedMigrations, loadMigrations, type MigrationSet } from './migrator.js'
import { newerSchemaError, newerSchemaWarning } from './newer-schema.js'

/**
 * Each tenant's applied migrations are recorded in its registry row (erp.tenants.schema_migrations,
 * also in the erp.my_tenants view a tenant login reads), so the check every unit of tenant work
 * makes (is this schema newer than this erp?) compares the row getTenant reads anyway with the
 * cached migration tree: no query of its own. NULL means not recorded (a registry not yet
 * backfilled, or older than this erp): then the tenant's knex_migrations is read instead.
 */

/** Applied migrations in `applied` that this erp's tree does not have, in name order. */
export async function unknownMigrations(set: MigrationSet, applied: Iterable<string>): Promise<string[]> {
  const known = new Set((await loadMigrations(set)).map((m) => m.name))
  return [...applied].filter((name) => !known.has(name)).sort()
}

/** What guardTenantSchema reads of a tenant's registry row (tenants/tenant.ts's Tenant has it). */
export interface TenantMigrationRecord {
  slug: string
  schema: string
  schemaMigrations?: string[] | null
}

/**
 * Refuse write work on a tenant migrated by a newer erp; let read work go on with a warning.
 * Called by withTenant for every unit of tenant work, before it starts.
 */
export async function guardTenantSchema(
  trx: Knex,
  tenant: TenantMigrationRecord,
  access: 'read' | 'write',
  warn?: (message: string) => void,
): Promise<void> {
  const applied = tenant.schemaMigrations ?? (await appliedMigrations(trx, tenant.schema)).map((m) => m.name)
  const unknown = await unknownMigrations('tenant', applied)
  if (unknown.length === 0) return
  const newer = { what: `Tenant "${tenant.slug}"`, set: 'tenant' as const, schema: tenant.schema, tenant: tenant.slug, unknown }
  if (access === 'write') throw newerSchemaError(newer)
  warn?.(newerSchemaWarning(newer))
}

/**
 * Record a tenant's migrations in its registry row, in the transaction that migrated it, as the
 * admin (after RESET ROLE: the tenant's role cannot write the registry).
 */
export async function recordSchemaMigrations(trx: Knex.Transaction, slug: string, migrations: string[]): Promise<void> {
  await trx.raw(`update ${quoteIdent(REGISTRY_SCHEMA)}.tenants set schema_migrations = ?::text[] where slug = ?`, [migrations, slug])
}

const BACKFILL_CHUNK = 1000

/**
 * Fill in schema_migrations for tenants that have none recorded, from their knex_migrations, each
 * chunk in a transaction of its own (appliedBySchema reads 1,000 schemas per statement): one
 * transaction over a large fleet would hold a lock per tenant table until it ends. A tenant that a
 * concurrent erp migrates and records meanwhile keeps its own, newer record (only NULLs are filled).
 */
export async function backfillSchemaMigrations(knex: Knex): Promise<number> {
  const { rows } = await knex.raw(
    `select slug, schema_name from ${quoteIdent(REGISTRY_SCHEMA)}.tenants where schema_migrations is null order by slug`,
  )
  let filled = 0
  for (let i = 0; i < rows.length; i += BACKFILL_CHUNK) {
    const chunk = rows.slice(i, i + BACKFILL_CHUNK) as Array<{ slug: string; schema_name: string }>
    const applied = await appliedBySchema(knex, chunk.map((t) => t.schema_name))
    const bySlug = Object.fromEntries(chunk.map((t) => [t.slug, [...applied.get(t.schema_name)!].sort()]))
    const result = await knex.raw(
      `update ${quoteIdent(REGISTRY_SCHEMA)}.tenants t
          set schema_migrations = array(select jsonb_array_elements_text(v.value))
         from jsonb_each(?::jsonb) v
        where t.slug = v.key and t.schema_migrations is null`,
      [JSON.stringify(bySlug)],
    )
    filled += result.rowCount ?? 0
  }
  return filled
}
