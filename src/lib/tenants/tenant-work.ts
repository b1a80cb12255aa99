import type { Knex } from 'knex'

import type { Db, Scope } from '../db/connect.js'
import { guardTenantSchema } from '../db/schema-migrations.js'
import { inTenantScope } from '../db/tenant-scope.js'
import { notAllowed } from '../errors.js'
import { getTenant, type Tenant } from './tenant.js'

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

/**
 * One unit of tenant work (a service call) in one transaction scoped to the tenant: the tenant's
 * registry row, refused when suspended (write work) or migrated by a newer erp, then the scoped
 * transaction of db/tenant-scope.ts (search_path, and the owner's login for admins).
 */
export async function withTenant<T>(
  db: Db,
  slug: string,
  work: (trx: Knex.Transaction, tenant: Tenant) => Promise<T>,
  options: TenantWorkOptions = {},
): Promise<T> {
  const access = options.access ?? 'write'
  return inTenantScope(db, slug, access, (knex) => usableTenant(knex, db.scope, slug, access, options), work)
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
