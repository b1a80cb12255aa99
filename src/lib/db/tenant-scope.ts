import type { Knex } from 'knex'

import { notAllowed } from '../errors.js'
import { getTenant, type Tenant } from '../tenants/tenant.js'
import type { Db, Scope } from './connect.js'
import { quoteIdent } from './identifiers.js'
import { ownerLogin } from './owner-login.js'
import { guardTenantSchema } from './schema-migrations.js'
import { translateDbError } from './sqlstate.js'

export interface TenantWorkOptions {
  /**
   * 'read' work runs in a READ ONLY transaction and is allowed on a suspended tenant (listing,
   * backups); 'write' work is refused there.
   */
  access?: 'read' | 'write'
  /** Suspension does not stop this work (resume itself). */
  ignoreSuspension?: boolean
  /** Where a read of a schema newer than this erp is warned about (writes are refused). */
  warn?: (message: string) => void
}

/** The CLI's own refusal; PostgreSQL's grants refuse the same thing a second time underneath. */
export function assertInScope(scope: Scope, slug: string): void {
  if (scope.kind === 'tenant' && scope.tenant !== slug) {
    throw notAllowed(`This profile is scoped to tenant "${scope.tenant}" and cannot act on "${slug}".`, {
      actions: ['Use a profile for that tenant, or an admin profile (erp auth list).'],
      data: { profileTenant: scope.tenant, tenant: slug },
    })
  }
}

/**
 * Run one unit of tenant work in one transaction with search_path set to the tenant's schema
 * (SET LOCAL, so nothing leaks across a pooled connection). A tenant login works on its own
 * session; an admin works on a session logged in as the tenant's owner role (owner-login.ts), so
 * nothing that runs there, whoever wrote it, has more than the tenant's own rights.
 */
export async function withTenant<T>(
  db: Db,
  slug: string,
  work: (trx: Knex.Transaction, tenant: Tenant) => Promise<T>,
  options: TenantWorkOptions = {},
): Promise<T> {
  assertInScope(db.scope, slug)
  const access = options.access ?? 'write'
  try {
    if (db.scope.kind === 'tenant') {
      return await db.knex.transaction(async (trx) => {
        const tenant = await usableTenant(trx, db.scope, slug, access, options)
        await enterTenant(trx, db.scope, tenant)
        return work(trx, tenant)
      }, { readOnly: access === 'read' })
    }
    const tenant = await usableTenant(db.knex, db.scope, slug, access, options)
    const owner = await ownerLogin(db, tenant.ownerRole)
    return await owner.transaction(async (trx) => {
      await trx.raw(`set local search_path to ${quoteIdent(tenant.schema)}`)
      return work(trx, tenant)
    }, { readOnly: access === 'read' })
  } catch (err) {
    throw translateDbError(err)
  }
}

async function usableTenant(knex: Knex, scope: Scope, slug: string, access: 'read' | 'write', options: TenantWorkOptions): Promise<Tenant> {
  const tenant = await getTenant(knex, scope, slug)
  if (tenant.status === 'suspended' && access === 'write' && !options.ignoreSuspension) {
    throw notAllowed(`Tenant "${slug}" is suspended: only resume, backups and read-only listing are allowed.`, {
      actions: [`Resume it first: erp tenants resume ${slug}`],
      data: { tenant: slug, status: tenant.status },
    })
  }
  // A schema migrated by a newer erp: writes refused, reads warned (from the row just read).
  await guardTenantSchema(knex, tenant, access, options.warn)
  return tenant
}

/**
 * Switch a transaction of erp's own to a tenant: its role (for admins) and its schema, for this
 * transaction only. Only for erp's own SQL on a tenant whose schema holds nothing it did not put
 * there (provisioning, migrations); anything else goes through withTenant.
 */
export async function enterTenant(trx: Knex.Transaction, scope: Scope, tenant: Pick<Tenant, 'ownerRole' | 'schema'>): Promise<void> {
  if (scope.kind === 'admin') await trx.raw(`set local role ${quoteIdent(tenant.ownerRole)}`)
  await trx.raw(`set local search_path to ${quoteIdent(tenant.schema)}`)
}
