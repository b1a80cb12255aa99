import type { Db } from '../db/connect.js'
import { requireAdmin } from '../db/registry.js'
import { assertInScope } from '../db/tenant-scope.js'
import { getTenant, listTenants, type Tenant } from './tenant.js'

/** The tenants a fleet command works on: the named one, or all of them. */
export async function selectTenants(db: Db, selection: { tenant?: string; all?: boolean }): Promise<Tenant[]> {
  if (selection.all) {
    requireAdmin(db.scope, 'Working on all tenants')
    return listTenants(db.knex, db.scope)
  }
  assertInScope(db.scope, selection.tenant!)
  return [await getTenant(db.knex, db.scope, selection.tenant!)]
}
