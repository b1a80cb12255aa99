import path from 'node:path'

import { configError, notFound, usageError } from '../errors.js'
import { validateSlug } from '../db/identifiers.js'
import { configDir } from '../paths.js'
import { readPrivateJson, updatePrivateJson } from './private-file.js'

/**
 * Named connection profiles in profiles.json: `{"current": "<name>", "profiles": {"<name>": {...}}}`.
 * Secrets never go here; they live in the credential store under the profile's name.
 */

export interface Profile {
  name: string
  kind: 'admin' | 'tenant'
  host: string
  port: number
  database: string
  user: string
  tenant?: string
  embedded?: boolean
  ssl?: boolean
  /** Which credential store holds this profile's secret, when it has one. */
  secretStore?: 'keychain' | 'file'
  /** Where this profile's backups to s3:// locations go, and with which keys (erp auth s3 set). */
  objectStorage?: ObjectStorageSettings
  createdAt: string
}

/**
 * S3 settings of a profile. The access key pair is never here: it sits in the credential store
 * (under `s3-credentials:<profile>`); `credentials` only says which store holds it.
 */
export interface ObjectStorageSettings {
  /** The store's endpoint URL (MinIO, R2, GCS); absent for AWS itself. */
  endpoint?: string
  region?: string
  /** A profile of ~/.aws/config and ~/.aws/credentials to take credentials from. */
  awsProfile?: string
  /** Path-style addressing; absent: automatic (on for an IP-address or localhost endpoint). */
  pathStyle?: boolean
  credentials?: 'keychain' | 'file'
}

const PROFILE_NAME = /^[A-Za-z0-9._-]{1,64}$/
const DEFAULT_PORT = 5432
const LIST_ACTION = 'Run `erp auth list` to see the stored profiles.'

const profilesFile = () => path.join(configDir(), 'profiles.json')

export function validateProfileName(name: string): string {
  if (typeof name !== 'string' || !PROFILE_NAME.test(name)) {
    throw usageError(
      `Invalid profile name ${JSON.stringify(name)}: use 1–64 letters, digits, "-", "_" or ".".`,
      { actions: ['Example: prod-admin, acme.ro, ci_tenant'] },
    )
  }
  return name
}

export async function listProfiles(): Promise<Profile[]> {
  const { profiles } = await readProfilesFile()
  return [...profiles.values()].sort((a, b) => a.name.localeCompare(b.name))
}

export async function getProfile(name: string): Promise<Profile> {
  validateProfileName(name)
  const profile = (await readProfilesFile()).profiles.get(name)
  if (!profile) throw notFound(`No profile named "${name}"`, { actions: [LIST_ACTION] })
  return profile
}

/** Adds the profile, or replaces the one of the same name (logging in again). */
export async function saveProfile(profile: Profile): Promise<void> {
  validateProfile(profile)
  await updateProfilesFile((file) => {
    file.profiles.set(profile.name, profile)
    return true
  })
}

/** Whether there was such a profile. Its secret stays in the credential store: delete it there too. */
export async function removeProfile(name: string): Promise<boolean> {
  validateProfileName(name)
  let removed = false
  await updateProfilesFile((file) => {
    removed = file.profiles.delete(name)
    if (removed && file.current === name) file.current = undefined
    return removed
  })
  return removed
}

export async function currentProfileName(): Promise<string | undefined> {
  return (await readProfilesFile()).current
}

/** Makes `name` the profile commands use by default; undefined clears it. */
export async function setCurrentProfile(name: string | undefined): Promise<void> {
  if (name !== undefined) validateProfileName(name)
  await updateProfilesFile((file) => {
    if (name !== undefined && !file.profiles.has(name)) {
      throw notFound(`No profile named "${name}"`, { actions: [LIST_ACTION] })
    }
    file.current = name
    return true
  })
}

/**
 * A profile from a postgres:// URL, with the password split off for the credential store.
 * Errors never quote the URL: it may hold the password.
 */
export function profileFromUrl(
  name: string,
  url: string,
  extra: { kind: Profile['kind']; tenant?: string },
): { profile: Profile; password?: string } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidUrl('it cannot be parsed') // no cause: URL's error carries the input
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidUrl('it must start with postgres:// or postgresql://')
  }
  const database = decodePart(parsed.pathname.replace(/^\//, ''), 'database')
  if (database.includes('/')) throw invalidUrl('the path must be a single database name')
  const user = decodePart(parsed.username, 'user name')
  if (!user) throw invalidUrl('it must name a user (postgres://user@host/database)')

  const profile: Profile = {
    name,
    kind: extra.kind,
    host: hostOf(parsed),
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
    database: database || user, // libpq's default
    user,
    ...(extra.tenant === undefined ? {} : { tenant: extra.tenant }),
    ...sslOf(parsed.searchParams),
    createdAt: new Date().toISOString(),
  }
  validateProfile(profile)
  const password = decodePart(parsed.password, 'password')
  return password ? { profile, password } : { profile }
}

/** The connection URL's hostname, or its `host` parameter (a Unix socket directory), or localhost. */
function hostOf(url: URL): string {
  const host = url.searchParams.get('host') ?? decodePart(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host')
  return host || 'localhost'
}

const SSL_BY_MODE: Record<string, boolean | undefined> = {
  disable: false,
  allow: undefined,
  prefer: undefined,
  require: true,
  'verify-ca': true,
  'verify-full': true,
}

function sslOf(params: URLSearchParams): { ssl?: boolean } {
  for (const key of params.keys()) {
    if (key !== 'sslmode' && key !== 'host') throw invalidUrl(`the parameter "${key}" is not supported in a profile`)
  }
  const mode = params.get('sslmode')
  if (mode === null) return {}
  if (!(mode in SSL_BY_MODE)) throw invalidUrl(`sslmode must be one of ${Object.keys(SSL_BY_MODE).join(', ')}`)
  const ssl = SSL_BY_MODE[mode]
  return ssl === undefined ? {} : { ssl }
}

function decodePart(value: string, what: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw invalidUrl(`its ${what} has a malformed %-escape`)
  }
}

const invalidUrl = (why: string) =>
  usageError(`The connection URL is not valid: ${why}.`, {
    actions: ['Use postgres://user:password@host:port/database, percent-encoding special characters in the password.'],
  })

function validateProfile(profile: Profile): void {
  validateProfileName(profile.name)
  if (profile.kind !== 'admin' && profile.kind !== 'tenant') {
    throw usageError(`A profile's kind is "admin" or "tenant", not ${JSON.stringify(profile.kind)}.`)
  }
  if (profile.kind === 'tenant' && profile.tenant === undefined) {
    throw usageError(`The tenant profile "${profile.name}" needs a tenant.`, { actions: ['Pass --tenant <slug>.'] })
  }
  if (profile.tenant !== undefined) validateSlug(profile.tenant)
  if (!Number.isInteger(profile.port) || profile.port < 1 || profile.port > 65535) {
    throw usageError(`Invalid port ${profile.port} in profile "${profile.name}": use 1–65535.`)
  }
  for (const field of ['host', 'database', 'user'] as const) {
    if (!profile[field]) throw usageError(`The profile "${profile.name}" needs a ${field}.`)
  }
}

interface ProfilesFile {
  current?: string
  /** A Map, so profile names like "constructor" never meet Object.prototype. */
  profiles: Map<string, Profile>
}

async function readProfilesFile(): Promise<ProfilesFile> {
  return fromJson(await readPrivateJson(profilesFile()))
}

/** `change` returns whether it changed anything worth writing. */
async function updateProfilesFile(change: (file: ProfilesFile) => boolean): Promise<void> {
  await updatePrivateJson(profilesFile(), (current) => {
    const file = fromJson(current)
    return change(file) ? toJson(file) : undefined
  })
}

function fromJson(data: Record<string, unknown> | undefined): ProfilesFile {
  const profiles = data?.profiles ?? {}
  const current = data?.current
  if (typeof profiles !== 'object' || profiles === null || (current !== undefined && typeof current !== 'string')) {
    throw configError(`${profilesFile()} is not a valid profiles file`, { actions: [`Fix or remove ${profilesFile()}.`] })
  }
  // The key is the name: a hand-edited "name" field cannot make two keys collide.
  const entries = Object.entries(profiles as Record<string, Profile>).map(([name, p]) => [name, { ...p, name }] as const)
  return { current, profiles: new Map(entries) }
}

function toJson(file: ProfilesFile): Record<string, unknown> {
  // fromEntries defines own properties, so a profile named "__proto__" stays a plain key.
  return { ...(file.current === undefined ? {} : { current: file.current }), profiles: Object.fromEntries(file.profiles) }
}
