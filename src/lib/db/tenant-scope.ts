import type { Knex } from 'knex'

import { notAllowed } from '../errors.js'
import type { Db, Scope } from './connect.js'
import { quoteIdent } from './identifiers.js'
import { ownerLogin } from './owner-login.js'
import { translateDbError } from './sqlstate.js'

/** What scoping a transaction to a tenant needs of its registry row. */
export interface ScopedTenant {
  schema: string
  ownerRole: string
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
 *
 * `lookup` reads (and vets) the tenant's registry row: inside the transaction for a tenant login,
 * on the admin's own connection for an admin. tenants/tenant-work.ts's withTenant is the one
 * caller that composes it, with the refusals (suspended, newer schema).
 */
export async function inTenantScope<R extends ScopedTenant, T>(
  db: Db,
  slug: string,
  access: 'read' | 'write',
  lookup: (knex: Knex) => Promise<R>,
  work: (trx: Knex.Transaction, tenant: R) => Promise<T>,
): Promise<T> {
  assertInScope(db.scope, slug)
  try {
    if (db.scope.kind === 'tenant') {
      return await db.knex.transaction(async (trx) => {
        const tenant = await lookup(trx)
        await enterTenant(trx, db.scope, tenant)
        return work(trx, tenant)
      }, { readOnly: access === 'read' })
    }
    const tenant = await lookup(db.knex)
    const owner = await ownerLogin(db, tenant.ownerRole)
    return await owner.transaction(async (trx) => {
      await trx.raw(`set local search_path to ${quoteIdent(tenant.schema)}`)
      return work(trx, tenant)
    }, { readOnly: access === 'read' })
  } catch (err) {
    throw translateDbError(err)
  }
}

/**
 * Switch a transaction of erp's own to a tenant: its role (for admins) and its schema, for this
 * transaction only. Only for erp's own SQL on a tenant whose schema holds nothing it did not put
 * there (provisioning, migrations); anything else goes through withTenant (tenants/tenant-work.ts).
 */
export async function enterTenant(trx: Knex.Transaction, scope: Scope, tenant: ScopedTenant): Promise<void> {
  if (scope.kind === 'admin') await trx.raw(`set local role ${quoteIdent(tenant.ownerRole)}`)
  await trx.raw(`set local search_path to ${quoteIdent(tenant.schema)}`)
}
