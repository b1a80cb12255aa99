import { createHash, randomBytes } from 'node:crypto'
import type { Knex } from 'knex'

import { conflict, configError, ErpError, ErrorKind, usageError } from '../errors.js'
import { FileStore, openCredentialStore, type CredentialStore } from '../auth/credential-store.js'
import type { Db } from '../db/connect.js'
import { requireAdmin } from '../db/registry.js'
import type { RegistryKey } from './signature.js'

/**
 * The registry's backup signing key: 32 random bytes, made once per registry by the first admin
 * backup, kept in each backup host's credential store (keychain or 0600 file, as passwords are)
 * under `backup-signing-key:<registry id>`, or given by ERP_BACKUP_SIGNING_KEY (base64) on cron
 * and CI hosts. The registry records only its fingerprint. The key is never printed, logged or put
 * in an error; `erp backup key export` hands it over only when asked to.
 */

export const KEY_ENV = 'ERP_BACKUP_SIGNING_KEY'
const KEY_BYTES = 32
/** Profile names cannot hold a colon, so this account never meets a profile's secret. */
const account = (registry: string) => `backup-signing-key:${registry}`

export interface SigningKey extends RegistryKey {
  fingerprint: string
  /** Where this host keeps it: the environment variable or a credential store. */
  source: 'environment' | CredentialStore['name']
}

export interface RegistryKeyInfo {
  registry: string
  /** The fingerprint of the registry's key; null until the first signed backup creates one. */
  fingerprint: string | null
}

/** A key's fingerprint: 16 bytes of a domain-separated sha256, in hex. Says nothing of the key. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('erp backup signing key fingerprint\0').update(key).digest('hex').slice(0, 32)
}

export async function registryKeyInfo(knex: Knex): Promise<RegistryKeyInfo> {
  const { rows } = await knex.raw('select id::text as id, backup_key_fingerprint as fingerprint from erp.registry_info')
  if (rows.length !== 1) throw new ErpError(ErrorKind.FAILED, 'The registry has no identity row (erp.registry_info): run erp migrate --registry')
  return { registry: rows[0].id, fingerprint: rows[0].fingerprint }
}

/** A base64 key, as ERP_BACKUP_SIGNING_KEY and `backup key export` write it. The message never holds it. */
export function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim()
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0)
  if (key.length !== KEY_BYTES || key.toString('base64') !== trimmed) {
    throw configError(`${where} is not a backup signing key (${KEY_BYTES} bytes in base64)`, {
      actions: ['Take the key from erp backup key export on a host that has it.'],
    })
  }
  return key
}

/** The stores a key may be in: the one erp picks, and the 0600 file when that is the keychain. */
async function candidateStores(onWarning?: (m: string) => void): Promise<CredentialStore[]> {
  const store = await openCredentialStore({ onWarning })
  return store.name === 'keychain' ? [store, new FileStore()] : [store]
}

/** This host's copy of the key, if it has one. */
async function hostKey(registry: string): Promise<SigningKey | undefined> {
  const env = process.env[KEY_ENV]
  if (env !== undefined && env.trim() !== '') {
    const key = decodeKey(env, KEY_ENV)
    return { registry, key, fingerprint: keyFingerprint(key), source: 'environment' }
  }
  for (const store of await candidateStores()) {
    const secret = await store.get(account(registry))
    if (secret !== undefined) {
      const key = decodeKey(secret, `The entry ${account(registry)} in the ${store.location}`)
      return { registry, key, fingerprint: keyFingerprint(key), source: store.name }
    }
  }
  return undefined
}

function notOnThisHost(info: RegistryKeyInfo, found?: SigningKey): ErpError {
  const where = found ? `this host's key (${found.source === 'environment' ? KEY_ENV : found.source}) has fingerprint ${found.fingerprint}` : 'this host has none'
  return configError(`This registry's backup signing key (fingerprint ${info.fingerprint}) is not on this host: ${where}`, {
    actions: [
      'On a host that has it: erp backup key export --to-file key.b64 (mode 0600); copy it over safely, then here: erp backup key import --from-stdin < key.b64',
      `Or set ${KEY_ENV} to it (base64) in this host's cron or CI environment.`,
    ],
    data: { registry: info.registry, fingerprint: info.fingerprint, hostFingerprint: found?.fingerprint ?? null },
  })
}

/**
 * The key to check this registry's signatures with, or undefined when the registry has none yet (then
 * no archive can carry a valid signature of it). Throws when the registry has a key this host lacks.
 */
export async function verificationKey(db: Db): Promise<{ registry: string; key: () => Promise<Buffer | undefined> }> {
  requireAdmin(db.scope, "Checking an archive's signature")
  const info = await registryKeyInfo(db.knex)
  return {
    registry: info.registry,
    key: async () => {
      if (info.fingerprint === null) return undefined
      const found = await hostKey(info.registry)
      if (found?.fingerprint !== info.fingerprint) throw notOnThisHost(info, found)
      return found.key
    },
  }
}

const signers = new WeakMap<Db, Promise<SigningKey>>()

/**
 * The key backups are signed with: this host's copy of the registry's key; on the registry's first
 * signed backup, a new one, stored here and recorded in the registry. Looked up once per connection.
 */
export function signingKey(db: Db, options: { onWarning?: (message: string) => void } = {}): Promise<SigningKey> {
  let signer = signers.get(db)
  if (!signer) {
    signer = findOrCreateKey(db, options.onWarning)
    signers.set(db, signer)
    signer.catch(() => signers.delete(db))
  }
  return signer
}

async function findOrCreateKey(db: Db, onWarning?: (message: string) => void): Promise<SigningKey> {
  requireAdmin(db.scope, 'Signing a backup')
  const info = await registryKeyInfo(db.knex)
  const found = await hostKey(info.registry)
  if (info.fingerprint !== null) {
    if (found?.fingerprint !== info.fingerprint) throw notOnThisHost(info, found)
    return found
  }
  // The registry has no key yet: this host's (from the environment, or an earlier import) becomes
  // it, or a new one is made. Storing before claiming: a host that loses the race drops its copy.
  const key = found?.key ?? randomBytes(KEY_BYTES)
  const store = found ? undefined : (await candidateStores(onWarning))[0]
  await store?.set(account(info.registry), key.toString('base64'))
  const fingerprint = keyFingerprint(key)
  const claimed = await claimFingerprint(db.knex, fingerprint)
  if (claimed !== fingerprint) {
    await store?.delete(account(info.registry))
    throw notOnThisHost({ ...info, fingerprint: claimed }, found)
  }
  return { registry: info.registry, key, fingerprint, source: found?.source ?? store!.name }
}

/** Record `fingerprint` unless the registry has one; returns the one it has now. */
async function claimFingerprint(knex: Knex, fingerprint: string): Promise<string> {
  await knex.raw('update erp.registry_info set backup_key_fingerprint = ? where backup_key_fingerprint is null', [fingerprint])
  return (await registryKeyInfo(knex)).fingerprint!
}

export interface KeyDescription {
  registry: string
  /** The registry's key, by fingerprint; null before the first signed backup. */
  fingerprint: string | null
  /** This host's copy: where it is, and its fingerprint (which should be the registry's). */
  host: { source: SigningKey['source']; fingerprint: string; matches: boolean } | null
}

export async function describeSigningKey(db: Db): Promise<KeyDescription> {
  requireAdmin(db.scope, "Looking at the registry's backup signing key")
  const info = await registryKeyInfo(db.knex)
  const found = await hostKey(info.registry)
  return {
    ...info,
    host: found ? { source: found.source, fingerprint: found.fingerprint, matches: found.fingerprint === info.fingerprint } : null,
  }
}

/** The key in base64, for `backup key export`: only this host's copy of the registry's own key. */
export async function exportSigningKey(db: Db): Promise<{ registry: string; fingerprint: string; base64: string }> {
  requireAdmin(db.scope, "Exporting the registry's backup signing key")
  const info = await registryKeyInfo(db.knex)
  if (info.fingerprint === null) {
    throw usageError('This registry has no backup signing key yet: the first backup taken with an admin profile creates it.', {
      actions: ['Create one by taking a backup: erp backup create --tenant <slug>'],
    })
  }
  const found = await hostKey(info.registry)
  if (found?.fingerprint !== info.fingerprint) throw notOnThisHost(info, found)
  return { registry: info.registry, fingerprint: found.fingerprint, base64: found.key.toString('base64') }
}

/**
 * Keep a key handed over from another host in this host's credential store. It must be the
 * registry's key (same fingerprint); a registry without one yet takes it as its key.
 */
export async function importSigningKey(db: Db, base64: string, options: { onWarning?: (message: string) => void } = {}): Promise<{ registry: string; fingerprint: string; store: string }> {
  requireAdmin(db.scope, "Importing the registry's backup signing key")
  const key = decodeKey(base64, 'The key read from stdin')
  const fingerprint = keyFingerprint(key)
  const info = await registryKeyInfo(db.knex)
  if (info.fingerprint !== null && info.fingerprint !== fingerprint) {
    throw conflict(`This key (fingerprint ${fingerprint}) is not this registry's backup signing key (fingerprint ${info.fingerprint})`, {
      actions: ['Export the key from a host of this registry (erp backup key show prints the fingerprint to compare), with the same DATABASE_URL or profile.'],
      data: { registry: info.registry, fingerprint: info.fingerprint, given: fingerprint },
    })
  }
  const [store] = await candidateStores(options.onWarning)
  await store.set(account(info.registry), key.toString('base64'))
  if (info.fingerprint === null) {
    const claimed = await claimFingerprint(db.knex, fingerprint)
    if (claimed !== fingerprint) {
      await store.delete(account(info.registry))
      throw notOnThisHost({ ...info, fingerprint: claimed })
    }
  }
  return { registry: info.registry, fingerprint, store: store.location }
}
