import { ErpError, ErrorKind, usageError } from '../errors.js'
import type { Db, Scope } from '../db/connect.js'
import { ensureEmbeddedServer } from '../db/embedded-server.js'
import { validateSlug } from '../db/identifiers.js'
import { connect } from './connection-target.js'
import { credentialStoreFor, openCredentialStore, type StoreName } from './credential-store.js'
import { getProfile, profileFromUrl, removeProfile, saveProfile, setCurrentProfile, type ObjectStorageSettings, type Profile } from './profiles.js'

export interface LoginInput {
  name: string
  /** postgres://user[:password]@host:port/database; or omitted with `embedded`. */
  url?: string
  embedded?: boolean
  tenant?: string
  /** From --password-stdin or a prompt; wins over a password inside the URL. */
  password?: string
  use?: boolean
  /** Connect once to prove the profile works before storing it. */
  verify?: boolean
  onWarning?: (message: string) => void
}

export interface LoginResult {
  profile: Profile
  store?: StoreName
  current: boolean
}

/** Store a named profile (and its secret, in the credential store), after a test connection. */
export async function login(input: LoginInput): Promise<LoginResult> {
  const kind = input.tenant ? 'tenant' : 'admin'
  let profile: Profile
  let password = input.password
  if (input.embedded) {
    const server = new URL(await ensureEmbeddedServer())
    profile = {
      name: input.name, kind, tenant: input.tenant, embedded: true,
      host: server.hostname, port: Number(server.port), database: server.pathname.slice(1),
      user: input.tenant ? await embeddedLoginRole(input.tenant) : decodeURIComponent(server.username),
      createdAt: new Date().toISOString(),
    }
  } else if (input.url) {
    const parsed = profileFromUrl(input.name, input.url, { kind, tenant: input.tenant })
    profile = parsed.profile
    password ??= parsed.password
  } else {
    throw usageError('Say where to connect: --url postgres://user@host:port/database, or --embedded.')
  }
  // Logging in again changes the connection, not where its backups go: S3 settings carry over.
  const earlier = await getProfile(input.name).catch(() => undefined)
  if (earlier?.objectStorage) profile = { ...profile, objectStorage: earlier.objectStorage }
  let store: StoreName | undefined
  if (password !== undefined) {
    const credentials = await openCredentialStore({ onWarning: input.onWarning })
    store = credentials.name
    profile = { ...profile, secretStore: store }
    await saveProfile(profile)
    await credentials.set(profile.name, password)
  } else {
    await saveProfile(profile)
  }
  if (input.verify !== false) {
    try {
      const db = await connect({ profile: profile.name })
      try {
        if (kind === 'admin') await assertAdminRole(db)
      } finally {
        await db.close()
      }
    } catch (err) {
      await logout(profile.name)
      throw err
    }
  }
  if (input.use) await setCurrentProfile(profile.name)
  return { profile, store, current: Boolean(input.use) }
}

/** The login role the embedded server's registry recorded for a tenant (names differ by registry). */
async function embeddedLoginRole(slug: string): Promise<string> {
  validateSlug(slug)
  const { createKnex } = await import('../db/knex.js')
  const knex = await createKnex({ connection: await ensureEmbeddedServer(), poolMax: 1 })
  try {
    const row = await knex.withSchema('erp').from('tenants').where('slug', slug).first('login_role')
    if (!row) throw usageError(`No tenant "${slug}" on the embedded server.`, { actions: ['List tenants with: erp tenants list'] })
    return row.login_role
  } finally {
    await knex.destroy()
  }
}

/**
 * An admin profile is the database owner or a superuser (design.md): a role that is neither, even
 * one with CREATEROLE, would fail later, halfway through provisioning or migrating. Refused here,
 * naming the tenant when the role is a tenant's login.
 */
async function assertAdminRole(db: Db): Promise<void> {
  const { rows } = await db.knex.raw(
    // Functions, not pg_roles: erp's registry closes the role lists to everyone but its admin.
    `select current_user as role, current_setting('is_superuser') = 'on' as superuser,
            pg_get_userbyid(d.datdba) = current_user as owner, pg_get_userbyid(d.datdba) as "dbOwner",
            current_database() as database
       from pg_database d
      where d.datname = current_database()`,
  )
  const me = rows[0] as { role: string; superuser: boolean; owner: boolean; dbOwner: string; database: string }
  if (me.superuser || me.owner) return
  const tenant = await db.knex
    .raw('select slug from erp.my_tenants where login_role = current_user')
    .then((r) => r.rows[0]?.slug as string | undefined, () => undefined)
  throw new ErpError(
    ErrorKind.NOT_ALLOWED,
    `Role ${me.role} is neither a superuser nor the owner of database ${me.database} (owned by ${me.dbOwner}): ` +
      'an admin profile must be one of them.',
    {
      actions: tenant
        ? [`It is the login of tenant ${tenant}: store it as a tenant profile with --tenant ${tenant}`]
        : [
            `Log in as ${me.dbOwner} or a superuser`,
            'For one tenant, pass --tenant <slug> with that tenant\'s login role (erp tenants credentials <slug>)',
          ],
      data: { role: me.role, database: me.database, databaseOwner: me.dbOwner, tenant: tenant ?? null },
    },
  )
}

/** Forget a profile and its stored secret. */
export async function logout(name: string): Promise<{ profile: string; removed: boolean; secretRemoved: boolean }> {
  const profile = await getProfile(name).catch(() => undefined)
  const secretRemoved = await (await credentialStoreFor(profile?.secretStore)).delete(name)
  if (profile?.objectStorage?.credentials) {
    const { forgetKeyPair } = await import('./object-storage.js')
    await forgetKeyPair(name, profile.objectStorage.credentials)
  }
  const removed = await removeProfile(name)
  return { profile: name, removed, secretRemoved }
}

export interface WhoAmI {
  source: Db['source']
  profile: string | null
  scope: Scope
  databaseUser: string
  host: string
  port: number
  database: string
  serverVersion: string
  /** Which store holds this profile's secret: keychain, file, environment, or none needed. */
  secretStore: string
  secretLocation: string | null
  /** The profile's S3 settings (erp auth s3 set); `credentials` is the store holding its key pair. */
  objectStorage: ObjectStorageSettings | null
}

/** Who the current connection is, and where its secret comes from. */
export async function whoami(db: Db): Promise<WhoAmI> {
  const { rows } = await db.knex.raw("select current_user as user, current_setting('server_version') as version")
  let secretStore = 'none'
  let secretLocation: string | null = null
  let objectStorage: ObjectStorageSettings | null = null
  if (db.source === 'database-url') secretStore = 'environment (DATABASE_URL)'
  else if (db.source === 'embedded') secretStore = 'embedded server state file'
  else if (db.profile) {
    const profile = await getProfile(db.profile)
    objectStorage = profile.objectStorage ?? null
    if (profile.secretStore) {
      const store = await credentialStoreFor(profile.secretStore)
      secretStore = store.name
      secretLocation = store.location
    } else if (profile.embedded) secretStore = 'embedded server state file'
  }
  return {
    source: db.source,
    profile: db.profile ?? null,
    scope: db.scope,
    databaseUser: rows[0].user,
    host: db.endpoint.host,
    port: db.endpoint.port,
    database: db.endpoint.database,
    serverVersion: rows[0].version,
    secretStore,
    secretLocation,
    objectStorage,
  }
}
