import { openDb, type ConnectionSource, type ConnectionTarget, type Db, type Scope } from '../db/connect.js'
import { configError } from '../errors.js'

export interface ConnectOptions {
  /** --profile, which wins over everything. */
  profile?: string
  poolMax?: number
  log?: (message: string) => void
  /** Check the connection with a query of its own (openDb's `probe`); true by default. */
  probe?: boolean
}

/** Connect where connectionTarget says: what a command, a test or a benchmark opens. */
export async function connect(options: ConnectOptions = {}): Promise<Db> {
  return openDb(await connectionTarget(options), { poolMax: options.poolMax, probe: options.probe })
}

/**
 * Resolve where to connect, in this order: --profile, ERP_PROFILE, DATABASE_URL (cron, CI), the
 * profile chosen with `erp auth use`, and finally the embedded server.
 */
export async function connectionTarget(options: ConnectOptions = {}): Promise<ConnectionTarget> {
  if (options.profile) return fromProfile(options.profile, 'flag-profile')
  if (process.env.ERP_PROFILE) return fromProfile(process.env.ERP_PROFILE, 'env-profile')
  if (process.env.DATABASE_URL) {
    return { connection: process.env.DATABASE_URL, scope: { kind: 'admin' }, source: 'database-url' }
  }
  const { currentProfileName } = await import('./profiles.js')
  const current = await currentProfileName()
  if (current) return fromProfile(current, 'current-profile')
  return { connection: await ensureEmbeddedServer(options.log), scope: { kind: 'admin' }, source: 'embedded' }
}

/** The embedded server's URL, started if need be; imported only when a connection goes there. */
async function ensureEmbeddedServer(log?: (message: string) => void): Promise<string> {
  const { ensureEmbeddedServer: ensure } = await import('../db/embedded-server.js')
  return ensure(log)
}

async function fromProfile(name: string, source: ConnectionSource): Promise<ConnectionTarget> {
  const { getProfile } = await import('./profiles.js')
  const profile = await getProfile(name)
  const scope: Scope = profile.kind === 'tenant' ? { kind: 'tenant', tenant: profile.tenant! } : { kind: 'admin' }
  if (profile.embedded && profile.kind === 'admin') {
    return { connection: await ensureEmbeddedServer(), embedded: true, scope, profile: name, source }
  }
  const { credentialStoreFor } = await import('./credential-store.js')
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
