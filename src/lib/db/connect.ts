import type { Knex } from 'knex'

import { configError } from '../errors.js'
import { ensureEmbeddedServer } from './embedded-server.js'
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

export interface ConnectOptions {
  /** --profile, which wins over everything. */
  profile?: string
  poolMax?: number
  log?: (message: string) => void
}

/**
 * Resolve where to connect, in this order: --profile, ERP_PROFILE, DATABASE_URL (cron, CI), the
 * profile chosen with `erp auth use`, and finally the embedded server.
 */
export async function connect(options: ConnectOptions = {}): Promise<Db> {
  const target = await resolveTarget(options)
  const knex = await createKnex({ connection: target.connection, poolMax: options.poolMax })
  try {
    await knex.raw('select 1')
  } catch (err) {
    await knex.destroy()
    throw translateDbError(err)
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

function asOtherRole(connection: Target['connection'], user: string, password: string): Knex.PgConnectionConfig {
  if (typeof connection !== 'string') return { ...connection, user, password }
  const url = new URL(connection)
  url.username = encodeURIComponent(user)
  url.password = encodeURIComponent(password)
  return { connectionString: url.toString() }
}

function endpointOf(target: Target): Endpoint {
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

interface Target {
  connection: string | Knex.PgConnectionConfig
  embedded?: boolean
  scope: Scope
  profile?: string
  source: ConnectionSource
}

async function resolveTarget(options: ConnectOptions): Promise<Target> {
  if (options.profile) return fromProfile(options.profile, 'flag-profile')
  if (process.env.ERP_PROFILE) return fromProfile(process.env.ERP_PROFILE, 'env-profile')
  if (process.env.DATABASE_URL) {
    return { connection: process.env.DATABASE_URL, scope: { kind: 'admin' }, source: 'database-url' }
  }
  const { currentProfileName } = await import('../auth/profiles.js')
  const current = await currentProfileName()
  if (current) return fromProfile(current, 'current-profile')
  return { connection: await ensureEmbeddedServer(options.log), scope: { kind: 'admin' }, source: 'embedded' }
}

async function fromProfile(name: string, source: ConnectionSource): Promise<Target> {
  const { getProfile } = await import('../auth/profiles.js')
  const profile = await getProfile(name)
  const scope: Scope = profile.kind === 'tenant' ? { kind: 'tenant', tenant: profile.tenant! } : { kind: 'admin' }
  if (profile.embedded && profile.kind === 'admin') {
    return { connection: await ensureEmbeddedServer(), embedded: true, scope, profile: name, source }
  }
  const { credentialStoreFor } = await import('../auth/credential-store.js')
  const password = await (await credentialStoreFor(profile.secretStore)).get(name)
  if (password === undefined && profile.kind === 'tenant') {
    throw configError(`No stored secret for profile "${name}"`, {
      actions: [
        `Store one with: erp auth login ${name} --password-stdin …`,
        `Or issue new credentials: erp tenants credentials ${profile.tenant} --save-profile ${name}`,
      ],
    })
  }
  // An embedded profile follows the embedded server wherever it listens now.
  const server = profile.embedded ? new URL(await ensureEmbeddedServer()) : undefined
  return {
    connection: {
      host: server?.hostname ?? profile.host,
      port: server ? Number(server.port) : profile.port,
      user: profile.user,
      database: server ? server.pathname.slice(1) : profile.database,
      password,
      ssl: profile.ssl ? true : undefined,
    },
    embedded: profile.embedded,
    scope,
    profile: name,
    source,
  }
}
