import { createHmac } from 'node:crypto'
import type { Knex } from 'knex'

import { scramVerifier } from './scram.js'
import { configError } from '../errors.js'
import { quoteIdent, quoteLiteral } from './identifiers.js'
import { createKnex } from './knex.js'
import { SqlState, sqlStateOf, translateDbError } from './sqlstate.js'

/**
 * erp acts for a tenant through a real login of the tenant's owner role, never by SET ROLE on the
 * admin's session: whoever can send SQL on a session can RESET ROLE, and SQL erp did not write (a
 * script, an archive's DDL, a trigger the tenant planted) runs on whatever session erp uses. On a
 * session logged in as the owner there is nothing above the tenant to go back to. Citus needs the
 * same: it opens worker connections and moves shards as the current role, which must log in.
 *
 * The owner role is LOGIN with an expired password (VALID UNTIL 'epoch'): nobody can log in as it
 * by password. To open a session erp arms it: the password is derived from the registry's
 * owner_login_key (an admin-only secret) and the role's name, so concurrent erp processes all set
 * the same one and never lock each other out; it is valid for a few minutes from the server's
 * clock. A tenant's own login may reach the owner role and change its password, but not its
 * validity (ALTER ROLE … VALID UNTIL needs CREATEROLE), so that gains it no way in that it lacks.
 */

const ARMED_FOR = '5 minutes'
/** knex asks for a new password (arms again) this long after arming, well inside ARMED_FOR. */
const REARM_AFTER_MS = 4 * 60_000

/** The admin connection an owner login is opened beside (Db satisfies it). */
export interface AdminConnection {
  knex: Knex
  /** The same server and database, as another role. */
  loginAs(user: string, password: string): Knex.PgConnectionConfig
}

interface Logins {
  key?: Promise<Buffer>
  pools: Map<string, Promise<Knex>>
}

const byAdmin = new WeakMap<Knex, Logins>()

function loginsOf(admin: AdminConnection): Logins {
  let logins = byAdmin.get(admin.knex)
  if (!logins) byAdmin.set(admin.knex, (logins = { pools: new Map() }))
  return logins
}

/**
 * A pool of sessions logged in as `ownerRole`, kept for the life of the admin connection (closed by
 * closeOwnerLogins). Each new session arms the role first; one session at a time per role is
 * enough for a command, and fleet work spreads over roles.
 */
export function ownerLogin(admin: AdminConnection, ownerRole: string, poolMax = 2): Promise<Knex> {
  const logins = loginsOf(admin)
  let pool = logins.pools.get(ownerRole)
  if (!pool) {
    pool = createKnex({
      connection: async () => {
        const armedAt = Date.now()
        const config = admin.loginAs(ownerRole, await armOwner(admin, ownerRole))
        return { ...config, expirationChecker: () => Date.now() - armedAt > REARM_AFTER_MS }
      },
      poolMax,
      applicationName: 'erp',
    })
    logins.pools.set(ownerRole, pool)
    pool.catch(() => logins.pools.delete(ownerRole))
  }
  return pool
}

/** Close every owner pool opened beside this admin connection. */
export async function closeOwnerLogins(admin: Knex): Promise<void> {
  const logins = byAdmin.get(admin)
  if (!logins) return
  byAdmin.delete(admin)
  await Promise.all([...logins.pools.values()].map(async (p) => (await p.catch(() => undefined))?.destroy()))
}

/** Make the owner role's derived password valid for a while (server time); returns the password. */
export async function armOwner(admin: AdminConnection, ownerRole: string): Promise<string> {
  const password = ownerPassword(await ownerLoginKey(admin), ownerRole)
  try {
    // Parallel erp processes arm the same role: one ALTER ROLE at a time (two at once fail with
    // "tuple concurrently updated"); they all set the same password, so none locks another out.
    await admin.knex.transaction(async (trx) => {
      const { rows } = await trx.raw(
        `select pg_advisory_xact_lock(hashtextextended(?, 0))::text, (now() + interval '${ARMED_FOR}')::text as until`,
        [`erp.owner-login:${ownerRole}`],
      )
      await trx.raw(
        `alter role ${quoteIdent(ownerRole)} with login password ${quoteLiteral(scramVerifier(password))} valid until ${quoteLiteral(rows[0].until)}`,
      )
    })
  } catch (err) {
    if (sqlStateOf(err) === SqlState.INSUFFICIENT_PRIVILEGE) {
      throw configError(`This admin connection may not manage role ${ownerRole}, so erp cannot act for its tenant.`, {
        actions: ['Connect as a superuser or as the database owner with CREATEROLE (the role that created the tenant).'],
        cause: err,
      })
    }
    throw translateDbError(err)
  }
  return password
}

/** Lock the role again: its password expired, now (suspend, delete). */
export async function disarmOwner(knex: Knex, ownerRole: string): Promise<void> {
  await knex.raw(`alter role ${quoteIdent(ownerRole)} with password null valid until 'epoch'`)
}

export function ownerPassword(key: Buffer, ownerRole: string): string {
  return createHmac('sha256', key).update(`owner-login:${ownerRole}`).digest('base64url')
}

function ownerLoginKey(admin: AdminConnection): Promise<Buffer> {
  const logins = loginsOf(admin)
  logins.key ??= admin.knex
    .raw('select owner_login_key as key from erp.registry_info')
    .then(({ rows }) => {
      if (!rows.length) throw configError('The registry has no identity row (erp.registry_info): run erp migrate latest --registry.')
      return rows[0].key as Buffer
    })
  logins.key.catch(() => (logins.key = undefined))
  return logins.key
}
