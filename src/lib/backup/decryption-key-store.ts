import { FileStore, openCredentialStore, type CredentialStore } from '../auth/credential-store.js'
import { usageError } from '../errors.js'
import { DECRYPT_KEY_ENV, readDecryptionKey } from './encryption.js'

/**
 * The private key for encrypted archives, kept in this host's credential store (keychain or 0600
 * file, as passwords are) under `backup-decryption-key:host` (profile names have no colon), so a
 * restore or verify host needs no key file or environment variable. Used when neither
 * --decrypt-key nor ERP_BACKUP_DECRYPT_KEY gives one. A protected key is unlocked once, at import
 * (ERP_BACKUP_DECRYPT_PASSPHRASE), and kept unlocked: the store protects it as it protects passwords,
 * and cron needs no passphrase. Never printed: show gives fingerprints and key ids only.
 */

const ACCOUNT = 'backup-decryption-key:host'

export interface StoredKeyDescription {
  fingerprint: string
  keyIds: string[]
  userIds: string[]
  /** Where it is kept: the credential store's location. */
  store: string
}

export interface DecryptKeyShowResult {
  stored: StoredKeyDescription | null
  /** Whether ERP_BACKUP_DECRYPT_KEY is set here: it wins over the stored key. */
  environmentOverrides: boolean
}

/** The stores the key may be in: the one erp picks, and the 0600 file when that is the keychain. */
async function candidateStores(onWarning?: (m: string) => void): Promise<CredentialStore[]> {
  const store = await openCredentialStore({ onWarning })
  return store.name === 'keychain' ? [store, new FileStore()] : [store]
}

/** The stored key's armored text and where it is, if this host keeps one. */
export async function storedDecryptionKey(): Promise<{ armored: string; store: string; source: string } | undefined> {
  for (const store of await candidateStores()) {
    const armored = await store.get(ACCOUNT)
    if (armored !== undefined) return { armored, store: store.location, source: `the decryption key stored in the ${store.location}` }
  }
  return undefined
}

/**
 * Keep `armored` (read from a file or stdin, named by `from`) as this host's decryption key. It
 * must be a private key that can decrypt; a protected one is unlocked here and stored unlocked.
 */
export async function importDecryptionKey(armored: string, from: string, options: { onWarning?: (m: string) => void } = {}): Promise<StoredKeyDescription> {
  const key = await readDecryptionKey(armored, from)
  const decrypting = await key.key.getDecryptionKeys().catch(() => [])
  if (decrypting.length === 0) {
    throw usageError(`The key ${key.fingerprint} in ${from} cannot decrypt (no usable encryption subkey)`, {
      actions: ['Export the private key whose public half archives are encrypted to: gpg --armor --export-secret-keys <key id>'],
    })
  }
  const [store] = await candidateStores(options.onWarning)
  await store.set(ACCOUNT, key.key.armor())
  return { fingerprint: key.fingerprint, keyIds: key.keyIds, userIds: key.key.getUserIDs(), store: store.location }
}

export async function showDecryptionKey(): Promise<DecryptKeyShowResult> {
  const environmentOverrides = Boolean(process.env[DECRYPT_KEY_ENV]?.trim())
  const stored = await storedDecryptionKey()
  if (!stored) return { stored: null, environmentOverrides }
  const key = await readDecryptionKey(stored.armored, stored.source)
  return { stored: { fingerprint: key.fingerprint, keyIds: key.keyIds, userIds: key.key.getUserIDs(), store: stored.store }, environmentOverrides }
}

/** Deletes the stored key from every store that has it. Whether there was one. */
export async function removeDecryptionKey(): Promise<boolean> {
  let removed = false
  for (const store of await candidateStores()) removed = (await store.delete(ACCOUNT)) || removed
  return removed
}
