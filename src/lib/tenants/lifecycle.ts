import { conflict } from '../errors.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { disarmOwner } from '../db/owner-login.js'
import { requireRegistryWrite } from '../db/registry.js'
import { translateDbError } from '../db/sqlstate.js'
import { terminateSessions } from './provision.js'
import { getTenant, type Tenant, type TenantStatus } from './tenant.js'

/**
 * Suspend: the registry says so, and PostgreSQL too: the tenant's login role loses LOGIN and its
 * open sessions are ended, so stored credentials stop working, not only the CLI's checks.
 */
export async function suspendTenant(db: Db, slug: string): Promise<Tenant> {
  return setStatus(db, slug, 'suspended')
}

export async function resumeTenant(db: Db, slug: string): Promise<Tenant> {
  return setStatus(db, slug, 'active')
}

async function setStatus(db: Db, slug: string, status: TenantStatus): Promise<Tenant> {
  await requireRegistryWrite(db, status === 'suspended' ? 'Suspending a tenant' : 'Resuming a tenant')
  try {
    const tenant = await db.knex.transaction(async (trx) => {
      const tenant = await getTenant(trx, db.scope, slug)
      if (tenant.status === status) {
        throw conflict(`Tenant "${slug}" is already ${status}`, { data: { tenant: slug, status } })
      }
      const { rowCount } = await trx.raw('select 1 from pg_roles where rolname = ?', [tenant.loginRole])
      if (rowCount) await trx.raw(`alter role ${quoteIdent(tenant.loginRole)} ${status === 'suspended' ? 'nologin' : 'login'}`)
      if (status === 'suspended') {
        await disarmOwner(trx, tenant.ownerRole)
        await terminateSessions(trx, tenant)
      }
      const [row] = await trx
        .withSchema('erp')
        .table('tenants')
        .where('slug', slug)
        .update({ status, suspended_at: status === 'suspended' ? trx.fn.now() : null, updated_at: trx.fn.now() })
        .returning('*')
      return { ...tenant, status: row.status, suspendedAt: row.suspended_at, updatedAt: row.updated_at }
    })
    // NOLOGIN holds only from the commit on: a login that came in meanwhile got past it. End it too.
    if (status === 'suspended') await terminateSessions(db.knex, tenant)
    return tenant
  } catch (err) {
    throw translateDbError(err)
  }
}
