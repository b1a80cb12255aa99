import { configError, usageError } from '../errors.js'
import { credentialStoreFor, openCredentialStore } from './credential-store.js'
import { getProfile, saveProfile, type ObjectStorageSettings, type Profile } from './profiles.js'

/**
 * A profile's S3 settings (erp auth s3 set): endpoint, region, AWS profile name, path style, and an
 * access key pair kept in the credential store like a password. The pair is stored as one entry,
 * `s3-credentials:<profile>` (profile names have no colon), and read only by the S3 client.
 */

export interface S3KeyPair {
  accessKeyId: string
  secretAccessKey: string
}

export interface ObjectStorageInput {
  endpoint?: string
  region?: string
  awsProfile?: string
  pathStyle?: boolean
  /** The key pair, read from stdin; undefined keeps the stored one. */
  keys?: S3KeyPair
  onWarning?: (message: string) => void
}

const account = (profile: string) => `s3-credentials:${profile}`
const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/
const AWS_PROFILE = /^[A-Za-z0-9._@+-]{1,64}$/
/** AWS access key ids and the HMAC key ids of R2, GCS and MinIO: printable, no spaces. */
const KEY_ID = /^[\x21-\x7e]{3,128}$/
const SECRET = /^[\x21-\x7e]{8,256}$/

/** Checks an endpoint URL; the message never quotes it (a pasted URL may carry a key). */
export function checkEndpoint(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw usageError('--endpoint is not a URL', { actions: ['Give the store\'s endpoint, e.g. http://127.0.0.1:9000 or https://<account>.r2.cloudflarestorage.com'] })
  }
  if (url.username || url.password) {
    throw usageError('--endpoint must not hold credentials: give the key pair on stdin with --credentials-stdin')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--endpoint must be an http:// or https:// URL, not ${url.protocol}`)
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw usageError('--endpoint is the store\'s base URL: no path, query or fragment (the bucket goes in the s3:// location)')
  }
  return `${url.protocol}//${url.host}`
}

/** Two lines on stdin: the access key id, then the secret access key. */
export function parseKeyPair(text: string): S3KeyPair {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
  const bad = (why: string) =>
    usageError(`The S3 key pair read from stdin is not usable: ${why}`, {
      actions: ['Pipe two lines, the access key id then the secret access key: printf "%s\\n%s\\n" "$KEY_ID" "$SECRET" | erp auth s3 set <profile> --credentials-stdin'],
    })
  if (lines.length !== 2) throw bad(`expected 2 lines, read ${lines.length}`)
  const [accessKeyId, secretAccessKey] = lines
  if (!KEY_ID.test(accessKeyId)) throw bad('the first line is not an access key id')
  if (!SECRET.test(secretAccessKey)) throw bad('the second line is not a secret access key')
  return { accessKeyId, secretAccessKey }
}

export function validateObjectStorage(settings: ObjectStorageSettings): ObjectStorageSettings {
  if (settings.endpoint !== undefined) checkEndpoint(settings.endpoint)
  if (settings.region !== undefined && !REGION.test(settings.region)) {
    throw usageError(`Invalid --region ${JSON.stringify(settings.region)}: lowercase letters, digits and "-" (eu-central-1, auto)`)
  }
  if (settings.awsProfile !== undefined && !AWS_PROFILE.test(settings.awsProfile)) {
    throw usageError(`Invalid --aws-profile ${JSON.stringify(settings.awsProfile)}: the name of a profile in ~/.aws/config`)
  }
  return settings
}

/** Adds to (or changes) a profile's S3 settings; flags left out keep their stored value. */
export async function setObjectStorage(name: string, input: ObjectStorageInput): Promise<Profile> {
  const profile = await getProfile(name)
  const before = profile.objectStorage ?? {}
  const next: ObjectStorageSettings = validateObjectStorage({
    ...before,
    ...(input.endpoint === undefined ? {} : { endpoint: checkEndpoint(input.endpoint) }),
    ...(input.region === undefined ? {} : { region: input.region }),
    ...(input.awsProfile === undefined ? {} : { awsProfile: input.awsProfile }),
    ...(input.pathStyle === undefined ? {} : { pathStyle: input.pathStyle }),
  })
  if (input.keys) {
    const store = await openCredentialStore({ onWarning: input.onWarning })
    // A key pair moved to another store leaves no copy behind in the old one.
    if (before.credentials && before.credentials !== store.name) await (await credentialStoreFor(before.credentials)).delete(account(name))
    await store.set(account(name), JSON.stringify(input.keys))
    next.credentials = store.name
  }
  const updated = { ...profile, objectStorage: next }
  await saveProfile(updated)
  return updated
}

/** Forgets a profile's S3 settings and deletes its key pair. Whether it had any. */
export async function removeObjectStorage(name: string): Promise<boolean> {
  const profile = await getProfile(name)
  const had = profile.objectStorage !== undefined
  await forgetKeyPair(name, profile.objectStorage?.credentials)
  if (had) {
    const { objectStorage: _, ...rest } = profile
    await saveProfile(rest)
  }
  return had
}

/** Deletes a profile's stored key pair (logout, removal). */
export async function forgetKeyPair(name: string, recorded?: ObjectStorageSettings['credentials']): Promise<boolean> {
  return (await credentialStoreFor(recorded)).delete(account(name))
}

/** The key pair a profile keeps, for the S3 client only. Never printed, logged or put in an error. */
export async function keyPairOf(profile: Profile): Promise<S3KeyPair | undefined> {
  const recorded = profile.objectStorage?.credentials
  if (!recorded) return undefined
  const store = await credentialStoreFor(recorded)
  const text = await store.get(account(profile.name))
  const missing = () =>
    configError(`Profile "${profile.name}" has S3 keys in the ${store.location}, but the entry ${account(profile.name)} is missing or unreadable`, {
      actions: [`Store them again: printf "%s\\n%s\\n" "$KEY_ID" "$SECRET" | erp auth s3 set ${profile.name} --credentials-stdin`],
    })
  if (text === undefined) throw missing()
  try {
    const pair = JSON.parse(text) as Partial<S3KeyPair>
    if (typeof pair.accessKeyId === 'string' && typeof pair.secretAccessKey === 'string') {
      return { accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey }
    }
  } catch {
    // The entry's text is never quoted: fall through to the same error.
  }
  throw missing()
}
