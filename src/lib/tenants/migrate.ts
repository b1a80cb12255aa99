import type { Db } from '../db/connect.js'
import type { Knex } from 'knex'

import { quoteIdent } from '../db/identifiers.js'
import {
  appliedBySchema, loadMigrations, MigrationLockBusy, migrateDown, migrateUp, migrationLockKey,
  type MigrationOutcome,
} from '../db/migrator.js'
import { translateDbError } from '../db/sqlstate.js'
import { requireAdmin } from '../db/registry.js'
import { assertInScope, withTenant } from '../db/tenant-scope.js'
import { forEachTenant, type TenantOutcome } from './fleet.js'
import { getTenant, listTenants, type Tenant } from './tenant.js'

export type Direction = 'latest' | 'rollback'

/** Per-transaction safety limits of a tenant migration, in milliseconds. */
export interface MigrationLimits {
  lockTimeoutMs: number
  statementTimeoutMs: number
}

export const DEFAULT_LIMITS: MigrationLimits = { lockTimeoutMs: 5_000, statementTimeoutMs: 15 * 60_000 }

export interface MigrateOptions {
  direction: Direction
  concurrency?: number
  limits?: MigrationLimits
  onTenantDone?: (outcome: TenantOutcome<MigrationOutcome>, finished: number) => void
}

/** The tenants a fleet command works on: the named one, or all of them. */
export async function selectTenants(db: Db, selection: { tenant?: string; all?: boolean }): Promise<Tenant[]> {
  if (selection.all) {
    requireAdmin(db.scope, 'Working on all tenants')
    return listTenants(db.knex, db.scope)
  }
  assertInScope(db.scope, selection.tenant!)
  return [await getTenant(db.knex, db.scope, selection.tenant!)]
}

/**
 * Migrate tenants, each in its own transaction under its own advisory lock (see migrateUp). A
 * suspended tenant is migrated too: its schema must keep up with the code for the day it resumes.
 */
export async function migrateTenants(db: Db, slugs: string[], options: MigrateOptions): Promise<TenantOutcome<MigrationOutcome>[]> {
  return forEachTenant(
    slugs,
    options.concurrency ?? 4,
    (slug) => migrateTenant(db, slug, options.direction, options.limits ?? DEFAULT_LIMITS),
    options.onTenantDone,
  )
}

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
): Promise<MigrationOutcome> {
  return withTenant(
    db,
    slug,
    async (trx, tenant) => {
      await setLimits(trx, limits)
      return direction === 'latest' ? migrateUp(trx, tenant.schema, 'tenant') : migrateDown(trx, tenant.schema, 'tenant')
    },
    { ignoreSuspension: true },
  )
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
      if (options.beforeCommit) {
        await trx.raw("select set_config('role', 'none', true), set_config('search_path', 'pg_catalog', true)")
        await options.beforeCommit(trx, outcome)
        // Back to the tenant's role for the commit: deferred triggers the migrations queued fire
        // then, and must not run as the admin.
        await trx.raw("select set_config('role', ?, true), set_config('search_path', ?, true)", [tenant.ownerRole, quoteIdent(tenant.schema)])
      }
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
}

/** Applied and pending migrations of many tenants, in one query over their bookkeeping tables. */
export async function tenantMigrationStatus(db: Db, tenants: Tenant[]): Promise<TenantMigrationStatus[]> {
  const applied = await appliedBySchema(db.knex, tenants.map((t) => t.schema))
  const all = (await loadMigrations('tenant')).map((m) => m.name)
  return tenants.map((t) => {
    const done = new Set(applied.get(t.schema))
    return {
      tenant: t.slug,
      applied: done.size,
      pending: all.filter((name) => !done.has(name)),
      version: [...done].sort().at(-1) ?? null,
    }
  })
}

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
