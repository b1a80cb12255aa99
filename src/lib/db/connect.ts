import type { Knex } from 'knex'

import { createKnex } from './knex.js'
import { translateDbError } from './sqlstate.js'

/**
 * What a command may touch: everything (an admin connection: the database owner or a superuser)
 * or one tenant (a tenant profile's login role, which PostgreSQL lets into that schema only).
 */
export type Scope = { kind: 'admin' } | { kind: 'tenant'; tenant: string }

export type ConnectionSource = 'flag-profile' | 'env-profile' | 'database-url' | 'current-profile' | 'embedded'

/** Where a connection goes, without its secret: enough to write a profile for the same server. */
export interface Endpoint {
  host: string
  port: number
  database: string
  user: string
  embedded: boolean
}

export interface Db {
  knex: Knex
  endpoint: Endpoint
  scope: Scope
  /** The profile the connection came from, when it came from one. */
  profile?: string
  source: ConnectionSource
  /** The same server and database as another role (erp's owner logins: owner-login.ts). */
  loginAs(user: string, password: string): Knex.PgConnectionConfig
  close(): Promise<void>
}

/**
 * Where to connect, resolved (auth/connection-target.ts does it, from profiles, credentials and the
 * environment): the connection with its secret, the scope it gives and where it came from.
 */
export interface ConnectionTarget {
  connection: string | Knex.PgConnectionConfig
  embedded?: boolean
  scope: Scope
  profile?: string
  source: ConnectionSource
}

/**
 * Open a Db on a resolved target, checked with one query (a driver error comes back translated).
 * `probe: false` leaves the check to the caller's first query, one round trip fewer: for a caller
 * that queries at once and translates what fails (a command's first query, the base command's catch).
 */
export async function openDb(target: ConnectionTarget, options: { poolMax?: number; probe?: boolean } = {}): Promise<Db> {
  const knex = await createKnex({ connection: target.connection, poolMax: options.poolMax, connectEarly: true })
  if (options.probe !== false) {
    try {
      await knex.raw('select 1')
    } catch (err) {
      await knex.destroy()
      throw translateDbError(err)
    }
  }
  return {
    knex,
    endpoint: endpointOf(target),
    scope: target.scope,
    profile: target.profile,
    source: target.source,
    loginAs: (user, password) => asOtherRole(target.connection, user, password),
    close: async () => {
      const { closeOwnerLogins } = await import('./owner-login.js')
      await closeOwnerLogins(knex)
      await knex.destroy()
    },
  }
}

function asOtherRole(connection: ConnectionTarget['connection'], user: string, password: string): Knex.PgConnectionConfig {
  if (typeof connection !== 'string') return { ...connection, user, password }
  const url = new URL(connection)
  url.username = encodeURIComponent(user)
  url.password = encodeURIComponent(password)
  return { connectionString: url.toString() }
}

function endpointOf(target: ConnectionTarget): Endpoint {
  const embedded = target.source === 'embedded' || target.embedded === true
  if (typeof target.connection !== 'string') {
    const c = target.connection
    return { host: c.host ?? 'localhost', port: c.port ?? 5432, database: c.database ?? '', user: c.user ?? '', embedded }
  }
  const url = new URL(target.connection)
  return {
    host: url.hostname || 'localhost',
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
    embedded,
  }
}
