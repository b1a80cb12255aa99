import { generateSecret, scramVerifier } from '../db/scram.js'
import type { Db } from '../db/connect.js'
import { conflict } from '../errors.js'
import { grantConnect } from '../db/database-grants.js'
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
      const { rows } = await trx.raw(
        `select pg_has_role(r.oid, o.oid, 'MEMBER') as ours from pg_roles r, pg_roles o where r.rolname = ? and o.rolname = ?`,
        [tenant.loginRole, tenant.ownerRole],
      )
      // A role of that name that is not a member of the owner is someone else's: never touch it.
      if (rows.length && !rows[0].ours) {
        throw conflict(`A role named ${tenant.loginRole} exists on this server but is not tenant "${slug}"'s login: erp leaves it alone.`, {
          actions: ['Find out whose it is (another erp registry, or made by hand) and rename or drop it.'],
          data: { tenant: slug, role: tenant.loginRole },
        })
      }
      const rowCount = rows.length
      const login = tenant.status === 'suspended' ? 'nologin' : 'login'
      if (rowCount) {
        await trx.raw(`alter role ${role} ${login} password ${verifier}`)
      } else {
        await trx.raw(`create role ${role} ${login} inherit password ${verifier} in role ${quoteIdent(tenant.ownerRole)}`)
      }
      // This database only: no other is granted.
      await grantConnect(trx, tenant.loginRole)
      return { tenant: slug, role: tenant.loginRole, password, rotated: Boolean(rowCount) }
    })
  } catch (err) {
    throw translateDbError(err)
  }
}
