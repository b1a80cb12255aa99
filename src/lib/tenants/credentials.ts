import { generateSecret, scramVerifier } from '../auth/scram.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { requireAdmin } from '../db/registry.js'
import { translateDbError } from '../db/sqlstate.js'
import { getTenant } from './tenant.js'

export interface TenantLogin {
  tenant: string
  role: string
  /** Shown once (or stored straight into a profile); never logged or audited. */
  password: string
  rotated: boolean
}

/**
 * Create the tenant's login role, or give it a new password. The role is a member of the tenant's
 * owner role and of nothing else, so PostgreSQL lets it into that one schema only.
 */
export async function issueTenantLogin(db: Db, slug: string): Promise<TenantLogin> {
  requireAdmin(db.scope, 'Issuing tenant credentials')
  const password = generateSecret()
  // The verifier only contains base64 characters and '$', ':' — safe inside a quoted literal.
  const verifier = `'${scramVerifier(password)}'`
  try {
    return await db.knex.transaction(async (trx) => {
      const tenant = await getTenant(trx, db.scope, slug)
      const role = quoteIdent(tenant.loginRole)
      const { rowCount } = await trx.raw('select 1 from pg_roles where rolname = ?', [tenant.loginRole])
      const login = tenant.status === 'suspended' ? 'nologin' : 'login'
      if (rowCount) {
        await trx.raw(`alter role ${role} ${login} password ${verifier}`)
      } else {
        await trx.raw(`create role ${role} ${login} inherit password ${verifier} in role ${quoteIdent(tenant.ownerRole)}`)
      }
      return { tenant: slug, role: tenant.loginRole, password, rotated: Boolean(rowCount) }
    })
  } catch (err) {
    throw translateDbError(err)
  }
}
