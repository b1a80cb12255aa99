import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import type { Db } from '../db/connect.js'
import { quoteIdent, tenantSchema } from '../db/identifiers.js'
import { requireAdmin, requireRegistryWrite } from '../db/registry.js'
import { translateDbError } from '../db/sqlstate.js'
import { terminateSessions } from './provision.js'
import { tenantMigrationStatus } from './migrate.js'
import { findTenant, getTenant, listTenants, type Tenant } from './tenant.js'

/**
 * Deleting a tenant keeps it for a grace period: its schema is renamed out of the way
 * (deleted_<slug>_<yyyymmddhhmmss>), its login role loses LOGIN and its sessions end, and its
 * registry row says 'deleted' with the time it may be purged. The slug stays reserved until then,
 * so `undelete` can always bring it back. `purge` drops the schema, the roles and the row.
 */

export const DEFAULT_GRACE_MS = 7 * 86_400_000

export interface DeleteOptions {
  /** Drop at once instead of keeping the tenant for the grace period. */
  purge?: boolean
  graceMs?: number
  /** With purge: the final backup to take first (omit for none). */
  finalBackup?: { outDir: string; toolVersion: string }
}

export interface DeletedTenant extends Tenant {
  purged: boolean
  /** The archive of the final backup taken before a purge. */
  finalBackup?: string
}

export async function deleteTenant(db: Db, slug: string, options: DeleteOptions = {}): Promise<DeletedTenant> {
  await requireRegistryWrite(db, 'Deleting a tenant')
  if (options.purge && options.finalBackup) return purgeWithBackup(db, slug, options.finalBackup)
  try {
    const deleted = await db.knex.transaction(async (trx): Promise<DeletedTenant> => {
      const live = await findTenant(trx, db.scope, slug)
      // --purge also finishes off a tenant already deleted and waiting for its grace period to end.
      const tenant = live ?? (options.purge ? await findTenant(trx, db.scope, slug, { deleted: true }) : undefined)
      if (!tenant) return getTenant(trx, db.scope, slug) as never // throws the not-found error with its hints
      await lockForMigrations(trx, tenant)
      if (options.purge) {
        await dropTenant(trx, tenant)
        return { ...tenant, purged: true }
      }
      await setLogin(trx, tenant.loginRole, false)
      await terminateSessions(trx, tenant)
      const schema = deletedSchemaName(slug, new Date())
      await trx.raw(`alter schema ${quoteIdent(tenant.schema)} rename to ${quoteIdent(schema)}`)
      const [row] = await trx
        .withSchema('erp')
        .table('tenants')
        .where('slug', slug)
        .update({
          status: 'deleted',
          schema_name: schema,
          deleted_at: trx.fn.now(),
          purge_after: trx.raw(`now() + ?::interval`, [`${Math.round(options.graceMs ?? DEFAULT_GRACE_MS)} milliseconds`]),
          updated_at: trx.fn.now(),
        })
        .returning(['deleted_at', 'purge_after', 'updated_at'])
      return { ...tenant, schema, status: 'deleted', deletedAt: row.deleted_at, purgeAfter: row.purge_after, updatedAt: row.updated_at, purged: false }
    })
    // The login is shut out only from the commit on: a session that came in meanwhile is ended now.
    await terminateSessions(db.knex, deleted)
    return deleted
  } catch (err) {
    throw translateDbError(err)
  }
}

export interface UndeletedTenant extends Tenant {
  /** Migrations released while it was deleted (deleted tenants are not migrated). */
  pendingMigrations: string[]
}

/**
 * --purge with a final backup: the tenant's logins are shut out first (so nothing is written after
 * the snapshot), then the backup is taken, then everything is dropped. A failed backup drops
 * nothing and lets the logins back in.
 */
async function purgeWithBackup(db: Db, slug: string, backup: { outDir: string; toolVersion: string }): Promise<DeletedTenant> {
  const tenant = await findTenant(db.knex, db.scope, slug)
  if (!tenant) {
    const deleted = await findTenant(db.knex, db.scope, slug, { deleted: true })
    if (!deleted) return getTenant(db.knex, db.scope, slug) as never // throws the not-found error
    throw usageError(`Tenant "${slug}" is already deleted (kept as ${deleted.schema}): a final backup is taken of live tenants only.`, {
      actions: [
        `Undelete it and purge it with its backup: erp tenants undelete ${slug} && erp tenants delete ${slug} --purge --yes`,
        `Or drop it without one: erp tenants delete ${slug} --purge --no-backup --yes`,
      ],
    })
  }
  const { backupTenant } = await import('../backup/create.js')
  const loginWasOn = tenant.status === 'active'
  await db.knex.transaction(async (trx) => {
    await setLogin(trx, tenant.loginRole, false)
    await terminateSessions(trx, tenant)
  })
  await terminateSessions(db.knex, tenant) // a login that came in before NOLOGIN was committed
  let archive: string
  try {
    archive = (await backupTenant(db, slug, backup)).file
  } catch (err) {
    if (loginWasOn) await db.knex.transaction((trx) => setLogin(trx, tenant.loginRole, true))
    throw translateDbError(err)
  }
  const purged = await deleteTenant(db, slug, { purge: true })
  return { ...purged, finalBackup: archive }
}

/** Bring a deleted tenant back as it was (suspended if it was suspended), under its own schema name. */
export async function undeleteTenant(db: Db, slug: string): Promise<UndeletedTenant> {
  await requireRegistryWrite(db, 'Undeleting a tenant')
  let tenant: Tenant
  try {
    tenant = await db.knex.transaction(async (trx) => {
      const tenant = await findTenant(trx, db.scope, slug, { deleted: true })
      if (!tenant) {
        const live = await findTenant(trx, db.scope, slug)
        throw live
          ? conflict(`Tenant "${slug}" is not deleted.`, { data: { tenant: slug, status: live.status } })
          : notFound(`No deleted tenant "${slug}": it was never deleted, or it has been purged.`, {
              actions: ['List deleted tenants with: erp tenants list --deleted'],
            })
      }
      const schema = tenantSchema(slug)
      const { rows } = await trx.raw('select to_regnamespace(?) is not null as taken', [quoteIdent(schema)])
      if (rows[0].taken) {
        throw conflict(`Cannot undelete "${slug}": a schema named ${schema} exists on this server.`, {
          actions: [`Rename or drop that schema first; the deleted tenant's data is in ${tenant.schema}.`],
        })
      }
      await lockForMigrations(trx, tenant)
      await trx.raw(`alter schema ${quoteIdent(tenant.schema)} rename to ${quoteIdent(schema)}`)
      const status = tenant.suspendedAt ? 'suspended' : 'active'
      if (status === 'active') await setLogin(trx, tenant.loginRole, true)
      const [row] = await trx
        .withSchema('erp')
        .table('tenants')
        .where('slug', slug)
        .update({ status, schema_name: schema, deleted_at: null, purge_after: null, updated_at: trx.fn.now() })
        .returning(['updated_at'])
      return { ...tenant, schema, status, deletedAt: null, purgeAfter: null, updatedAt: row.updated_at }
    })
  } catch (err) {
    throw translateDbError(err)
  }
  const [status] = await tenantMigrationStatus(db, [tenant])
  return { ...tenant, pendingMigrations: status.pending }
}

export interface PurgeOutcome {
  slug: string
  schema: string
  deletedAt: Date
  purgeAfter: Date
  purged: boolean
  error?: string
}

/** Drop every deleted tenant whose grace period is over, each in its own transaction. */
export async function purgeDeleted(db: Db, options: { dryRun?: boolean } = {}): Promise<PurgeOutcome[]> {
  if (options.dryRun) requireAdmin(db.scope, 'Purging deleted tenants')
  else await requireRegistryWrite(db, 'Purging deleted tenants')
  const due = (await listTenants(db.knex, db.scope, { status: 'deleted' })).filter((t) => t.purgeAfter! <= new Date())
  const outcomes: PurgeOutcome[] = []
  for (const tenant of due) {
    const outcome = { slug: tenant.slug, schema: tenant.schema, deletedAt: tenant.deletedAt!, purgeAfter: tenant.purgeAfter!, purged: false }
    if (options.dryRun) {
      outcomes.push(outcome)
      continue
    }
    try {
      await db.knex.transaction(async (trx) => {
        // Re-read under the transaction: an undelete may have come in between.
        const current = await findTenant(trx, db.scope, tenant.slug, { deleted: true })
        if (!current || current.purgeAfter! > new Date()) return
        await lockForMigrations(trx, current)
        await dropTenant(trx, current)
        outcome.purged = true
      })
      outcomes.push(outcome)
    } catch (err) {
      outcomes.push({ ...outcome, error: (translateDbError(err) as Error).message })
    }
  }
  return outcomes
}

/** yyyymmddhhmmss in UTC: deleted_<slug>_<stamp> fits PostgreSQL's 63 characters for any slug. */
export function deletedSchemaName(slug: string, at: Date): string {
  return `deleted_${slug}_${at.toISOString().replace(/\D/g, '').slice(0, 14)}`
}

/** The tenant's schema, its roles (with anything they still own elsewhere) and its registry row. */
async function dropTenant(trx: Knex.Transaction, tenant: Tenant): Promise<void> {
  await setLogin(trx, tenant.loginRole, false)
  await terminateSessions(trx, tenant)
  await trx.raw(`drop schema if exists ${quoteIdent(tenant.schema)} cascade`)
  for (const role of [tenant.loginRole, tenant.ownerRole]) {
    const { rowCount } = await trx.raw('select 1 from pg_roles where rolname = ?', [role])
    if (!rowCount) continue
    await trx.raw(`drop owned by ${quoteIdent(role)}`)
    await trx.raw(`drop role ${quoteIdent(role)}`)
  }
  await trx.withSchema('erp').table('tenants').where('slug', tenant.slug).delete()
}

async function setLogin(trx: Knex.Transaction, role: string, login: boolean): Promise<void> {
  const { rowCount } = await trx.raw('select 1 from pg_roles where rolname = ?', [role])
  if (rowCount) await trx.raw(`alter role ${quoteIdent(role)} ${login ? 'login' : 'nologin'}`)
}

/** A migration run on the tenant finishes (or times out) before its schema moves. */
async function lockForMigrations(trx: Knex.Transaction, tenant: Tenant): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`erp.migrate:${tenant.schema}`])
}
