import type { Db } from '../db/connect.js'
import type { Knex } from 'knex'

import { quoteIdent } from '../db/identifiers.js'
import {
  appliedBySchema, loadMigrations, MigrationLockBusy, migrateDown, migrateUp, migrationLockKey,
  type MigrationOutcome,
} from '../db/migrator.js'
import { translateDbError } from '../db/sqlstate.js'
import { requireAdmin, requireRegistryWrite } from '../db/registry.js'
import { guardTenantSchema, recordSchemaMigrations, unknownMigrations } from '../db/schema-migrations.js'
import { assertInScope, enterTenant } from '../db/tenant-scope.js'
import { getTenant, type Tenant } from './tenant.js'

export type Direction = 'latest' | 'rollback'

/** Per-transaction safety limits of a tenant migration, in milliseconds. */
export interface MigrationLimits {
  lockTimeoutMs: number
  statementTimeoutMs: number
}

export const DEFAULT_LIMITS: MigrationLimits = { lockTimeoutMs: 5_000, statementTimeoutMs: 15 * 60_000 }

/**
 * One tenant's migration in one transaction, with `lock_timeout` and `statement_timeout` set for
 * that transaction only. The lock timeout covers the wait for the per-schema advisory lock too
 * (advisory lock waits are lock waits): a busy tenant fails fast with SQLSTATE 55P03 instead of
 * queueing behind a long transaction and blocking every query that comes after it.
 */
export async function migrateTenant(
  db: Db,
  slug: string,
  direction: Direction,
  limits: MigrationLimits = DEFAULT_LIMITS,
  warn?: (message: string) => void,
): Promise<MigrationOutcome> {
  await requireRegistryWrite(db, 'Migrating a tenant')
  assertInScope(db.scope, slug)
  const tenant = await getTenant(db.knex, db.scope, slug)
  await guardTenantSchema(db.knex, tenant, 'write', warn)
  // erp's own migrations run on the admin's session as the tenant's role (enterTenant), so that
  // the registry's record of them commits with them.
  try {
    return await db.knex.transaction(async (trx) => {
      await setLimits(trx, limits)
      await enterTenant(trx, db.scope, tenant)
      const outcome = direction === 'latest'
        ? await migrateUp(trx, tenant.schema, 'tenant')
        : await migrateDown(trx, tenant.schema, 'tenant', { tenant: slug })
      await asAdminBeforeCommit(trx, tenant, () => recordOutcome(trx, tenant, outcome))
      return outcome
    })
  } catch (err) {
    throw translateDbError(err)
  }
}

/**
 * Keep the registry's record of the tenant's migrations (see db/schema-migrations.ts) in step, in
 * the transaction that migrated it (as the admin: the tenant's role cannot write the registry).
 */
async function recordOutcome(trx: Knex.Transaction, tenant: Tenant, outcome: MigrationOutcome): Promise<void> {
  // Nothing changed and the record (as read, perhaps a while ago by a fleet listing) agrees.
  const recorded = tenant.schemaMigrations
  const same = recorded?.length === outcome.migrations.length && recorded.every((m, i) => m === outcome.migrations[i])
  if (outcome.applied.length === 0 && same) return
  await recordSchemaMigrations(trx, tenant.slug, outcome.migrations)
}

/**
 * Registry writes at the end of a tenant's migration transaction, as the admin with search_path
 * pg_catalog; then back to the tenant's role for the commit: deferred triggers the migrations
 * queued fire then, and must not run as the admin.
 */
async function asAdminBeforeCommit(trx: Knex.Transaction, tenant: Tenant, work: () => Promise<void>): Promise<void> {
  await trx.raw("select set_config('role', 'none', true), set_config('search_path', 'pg_catalog', true)")
  await work()
  await trx.raw("select set_config('role', ?, true), set_config('search_path', ?, true)", [tenant.ownerRole, quoteIdent(tenant.schema)])
}

/**
 * The fleet's fast path: a tenant already read from the registry (by the run's one listing) is
 * entered with a single statement: its owner role, its schema, the limits. A schema deleted or
 * renamed since then fails on its first statement and is reported like any failure.
 */
export async function migrateListedTenant(
  db: Db,
  tenant: Tenant,
  limits: MigrationLimits,
  options: {
    lock?: 'wait' | 'try'
    /**
     * Runs in the migration's transaction just before it commits, as the admin (the session's own
     * role) with search_path pg_catalog: a fleet run writes the tenant's record here, so the record
     * and the migrations commit together or not at all.
     */
    beforeCommit?: (trx: Knex.Transaction, outcome: MigrationOutcome) => Promise<void>
  } = {},
): Promise<MigrationOutcome> {
  requireAdmin(db.scope, 'Migrating the fleet')
  try {
    return await db.knex.transaction(async (trx) => {
      // One round trip: the settings are evaluated left to right, so the lock wait already obeys
      // lock_timeout. synchronous_commit off: a server crash can lose the last few commits, each
      // whole (the DDL with its knex_migrations row), and the next run simply applies them again.
      const lock = options.lock === 'try' ? 'pg_try_advisory_xact_lock' : 'pg_advisory_xact_lock'
      const { rows } = await trx.raw(
        `select set_config('role', ?, true), set_config('search_path', ?, true),
                set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true),
                set_config('synchronous_commit', 'off', true),
                ${lock}(hashtextextended(?, 0))::text as locked`,
        [
          tenant.ownerRole, quoteIdent(tenant.schema), `${Math.round(limits.lockTimeoutMs)}ms`,
          `${Math.round(limits.statementTimeoutMs)}ms`, migrationLockKey(tenant.schema),
        ],
      )
      if (rows[0].locked === 'false') throw new MigrationLockBusy(tenant.schema)
      const outcome = await migrateUp(trx, tenant.schema, 'tenant', { lock: 'held' })
      await asAdminBeforeCommit(trx, tenant, async () => {
        await recordOutcome(trx, tenant, outcome)
        await options.beforeCommit?.(trx, outcome)
      })
      return outcome
    })
  } catch (err) {
    throw translateDbError(err)
  }
}

async function setLimits(trx: Knex.Transaction, limits: MigrationLimits): Promise<void> {
  await trx.raw("select set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)", [
    `${Math.round(limits.lockTimeoutMs)}ms`,
    `${Math.round(limits.statementTimeoutMs)}ms`,
  ])
}

export interface TenantMigrationStatus {
  tenant: string
  applied: number
  pending: string[]
  /** The newest applied migration, the schema's "version". */
  version: string | null
  /** Applied migrations this erp does not know (a newer erp migrated the tenant). */
  unknown: string[]
}

/** Applied and pending migrations of many tenants, in one query over their bookkeeping tables. */
export async function tenantMigrationStatus(db: Db, tenants: Tenant[]): Promise<TenantMigrationStatus[]> {
  const applied = await appliedBySchema(db.knex, tenants.map((t) => t.schema))
  const all = (await loadMigrations('tenant')).map((m) => m.name)
  return Promise.all(tenants.map(async (t) => {
    const done = new Set(applied.get(t.schema))
    return {
      tenant: t.slug,
      applied: done.size,
      pending: all.filter((name) => !done.has(name)),
      version: [...done].sort().at(-1) ?? null,
      unknown: await unknownMigrations('tenant', done),
    }
  }))
}

/**
 * Whether `migrate latest` has anything to do for a tenant: migrations pending, or migrations it
 * does not know, which migrateUp refuses (the tenant is then reported failed, with the reason).
 */
export const needsMigrating = (s: TenantMigrationStatus) => s.pending.length > 0 || s.unknown.length > 0

export interface MigrationVersionGroup {
  /** The newest applied migration (null: none applied). */
  version: string | null
  tenants: number
  pending: string[]
  /** Up to three tenants on this version. */
  examples: string[]
}

/** Tenants grouped by schema version, newest version first: how far a rollout has got. */
export function groupByVersion(status: TenantMigrationStatus[]): MigrationVersionGroup[] {
  const groups = new Map<string, MigrationVersionGroup>()
  for (const s of status) {
    const key = `${s.version}|${s.pending.join(' ')}`
    const group = groups.get(key) ?? { version: s.version, tenants: 0, pending: s.pending, examples: [] }
    group.tenants++
    if (group.examples.length < 3) group.examples.push(s.tenant)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '') || a.pending.length - b.pending.length)
}
