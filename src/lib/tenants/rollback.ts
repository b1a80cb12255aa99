import { backupTenant } from '../backup/create.js'
import type { Db } from '../db/connect.js'
import { readRollbackPlan } from '../db/migrator.js'
import { requireRegistryWrite } from '../db/registry.js'
import { withTenant } from './tenant-work.js'
import { forEachTenant } from './fleet.js'
import { migrateTenant } from './migrate.js'
import type { Tenant } from './tenant.js'

/**
 * `migrate rollback`: undo each tenant's last batch, never its base batch (planRollback), and back
 * the tenant up first. Every rollback is treated as destructive: a down() may drop a table, but
 * also a column, or delete rows, and which one it does is known only once it has run; a backup
 * taken before the transaction is the one thing an operator can rely on. `backup: undefined`
 * (--no-backup) skips it.
 */

export interface RollbackOptions {
  concurrency: number
  dryRun?: boolean
  /** Where the backup before each rollback goes; undefined: none (--no-backup). */
  backup?: { outDir: string; toolVersion: string }
  warn?: (message: string) => void
}

export interface TenantRollbackRow {
  tenant: string
  /** ok: rolled back; planned: what --dry-run would roll back; failed: refused or failed, nothing changed. */
  status: 'ok' | 'planned' | 'failed'
  batch?: number
  /** The migrations undone (or, with --dry-run, to be undone), newest first. */
  applied: string[]
  /** The archive taken before the rollback. */
  backup?: string
  error?: string
  durationMs: number
}

export interface RollbackOutcome {
  rows: TenantRollbackRow[]
  /** Each failed tenant's error, as thrown (a single-tenant command rethrows it). */
  errors: Map<string, unknown>
}

export async function rollbackTenants(db: Db, tenants: Tenant[], options: RollbackOptions): Promise<RollbackOutcome> {
  if (!options.dryRun) await requireRegistryWrite(db, 'Rolling back migrations')
  const errors = new Map<string, unknown>()
  const outcomes = await forEachTenant(
    tenants.map((t) => t.slug),
    options.concurrency,
    async (slug) => {
      try {
        return await rollbackTenant(db, slug, options)
      } catch (err) {
        errors.set(slug, err)
        throw err
      }
    },
  )
  const rows = outcomes.map((o): TenantRollbackRow =>
    o.ok
      ? { ...o.result!, durationMs: o.durationMs }
      : { tenant: o.tenant, status: 'failed', applied: [], error: o.error, durationMs: o.durationMs },
  )
  return { rows, errors }
}

async function rollbackTenant(db: Db, slug: string, options: RollbackOptions): Promise<Omit<TenantRollbackRow, 'durationMs'>> {
  // Refuse the base batch before a backup is taken; migrateDown checks again under the lock.
  const plan = await withTenant(db, slug, (trx, tenant) => readRollbackPlan(trx, tenant.schema, 'tenant', { tenant: slug }), {
    access: 'read',
    warn: options.warn,
  })
  if (plan.refusal) throw plan.refusal
  if (plan.batch === undefined) return { tenant: slug, status: 'ok', applied: [] }
  if (options.dryRun) return { tenant: slug, status: 'planned', batch: plan.batch, applied: plan.names }
  const backup = options.backup ? await backupTenant(db, slug, { ...options.backup, jobs: 1 }) : undefined
  const outcome = await migrateTenant(db, slug, 'rollback', undefined, options.warn)
  return { tenant: slug, status: 'ok', batch: outcome.batch, applied: outcome.applied, backup: backup?.file }
}
