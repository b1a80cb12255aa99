import { randomUUID } from 'node:crypto'
import path from 'node:path'

import type { AsyncEntry } from '@napi-rs/keyring'

import { configError } from '../errors.js'
import { configDir } from '../paths.js'
import { readPrivateJson, updatePrivateJson } from './private-file.js'

/**
 * Where secrets are kept: database passwords keyed by profile name, and registries' backup signing
 * keys under `backup-signing-key:<registry id>` (a colon no profile name has). Nothing else.
 */

export type StoreName = 'keychain' | 'file'

export interface CredentialStore {
  readonly name: StoreName
  /** Human-readable place, for `erp auth whoami`. */
  readonly location: string
  get(profile: string): Promise<string | undefined>
  set(profile: string, secret: string): Promise<void>
  /** Whether there was a secret to delete. */
  delete(profile: string): Promise<boolean>
}

const SERVICE = 'erp'
/** Probes use a service of their own so they never show up among profiles. */
const PROBE_SERVICE = 'erp-probe'
const PROBE_TIMEOUT_MS = 5000

/**
 * On Linux, @napi-rs/keyring silently falls back to the kernel keyutils store when no Secret Service
 * answers; keyutils lives in memory and is gone after a reboot. Pinning every entry to the Secret
 * Service makes it fail instead. Other platforms ignore the option.
 */
const ENTRY_OPTIONS = { linux: { store: 'secret-service' } } as const

async function newEntry(service: string, account: string): Promise<AsyncEntry> {
  const { AsyncEntry } = await import('@napi-rs/keyring') // native module: load only when used
  return new AsyncEntry(service, account, ENTRY_OPTIONS)
}

const KEYCHAIN_LOCATIONS: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'macOS Keychain',
  win32: 'Windows Credential Manager',
}

export class KeychainStore implements CredentialStore {
  readonly name = 'keychain' as const
  readonly location = `${KEYCHAIN_LOCATIONS[process.platform] ?? 'Secret Service'} (service "${SERVICE}")`

  async get(profile: string): Promise<string | undefined> {
    return (await this.withEntry(profile, 'read', (entry) => entry.getPassword())) ?? undefined
  }

  async set(profile: string, secret: string): Promise<void> {
    await this.withEntry(profile, 'store', (entry) => entry.setPassword(secret))
  }

  async delete(profile: string): Promise<boolean> {
    return this.withEntry(profile, 'delete', (entry) => entry.deleteCredential())
  }

  private async withEntry<T>(profile: string, verb: string, use: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    try {
      return await use(await newEntry(SERVICE, profile))
    } catch (err) {
      // The keyring's messages name the store's failure (locked, no D-Bus...), never the secret.
      throw configError(`The ${this.location} could not ${verb} the secret of profile "${profile}": ${(err as Error).message}`, {
        cause: err,
        actions: ['Unlock the keychain and try again.', 'Or set ERP_CREDENTIAL_STORE=file to keep secrets in a 0600 file.'],
      })
    }
  }
}

/**
 * Whether the OS keychain keeps what we store across reboots. On Linux that takes a Secret Service
 * (gnome-keyring, KWallet, KeePassXC) on the session bus; elsewhere the platform keychain. Proven by
 * a round trip, not assumed.
 */
export async function keychainUsable(): Promise<boolean> {
  // No session bus, no Secret Service: skip loading the native module.
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) return false
  return probeRoundTrip()
}

async function probeRoundTrip(): Promise<boolean> {
  const account = `probe-${randomUUID()}`
  const secret = randomUUID()
  // A locked keychain may wait on an unlock prompt nobody answers (cron).
  const timeout = () => AbortSignal.timeout(PROBE_TIMEOUT_MS)
  try {
    await (await newEntry(PROBE_SERVICE, account)).setPassword(secret, timeout())
    // Read back through a fresh entry, so the store, not the entry object, must hold the secret.
    return (await (await newEntry(PROBE_SERVICE, account)).getPassword(timeout())) === secret
  } catch {
    return false
  } finally {
    await newEntry(PROBE_SERVICE, account)
      .then((entry) => entry.deleteCredential(timeout()))
      .catch(() => undefined)
  }
}

export interface FileStoreOptions {
  /** Told once, just before the credentials file is first created. */
  onFirstWrite?: (message: string) => void
  /** Told when an existing credentials file was readable by others and has been narrowed to 0600. */
  onModeTightened?: (message: string) => void
  /** Why the file is used, for the first-write warning. */
  reason?: string
}

/** credentials.json in the config directory: `{"secrets": {"<profile>": "<secret>"}}`, mode 0600. */
export class FileStore implements CredentialStore {
  readonly name = 'file' as const
  readonly location = path.join(configDir(), 'credentials.json')

  constructor(private readonly options: FileStoreOptions = {}) {}

  async get(profile: string): Promise<string | undefined> {
    return (await this.readSecrets()).get(profile)
  }

  async set(profile: string, secret: string): Promise<void> {
    await this.updateSecrets((secrets) => {
      secrets.set(profile, secret)
      return true
    })
  }

  async delete(profile: string): Promise<boolean> {
    if (!(await this.readSecrets()).has(profile)) return false
    let deleted = false
    await this.updateSecrets((secrets) => (deleted = secrets.delete(profile)))
    return deleted
  }

  private async readSecrets(): Promise<Map<string, string>> {
    return secretsOf(this.location, await readPrivateJson(this.location))
  }

  /** `change` returns whether it changed anything worth writing. */
  private async updateSecrets(change: (secrets: Map<string, string>) => boolean): Promise<void> {
    const { onFirstWrite, onModeTightened, reason = 'no OS keychain answers here' } = this.options
    await updatePrivateJson(
      this.location,
      (current) => {
        const secrets = secretsOf(this.location, current)
        // fromEntries defines own properties, so a profile named "__proto__" stays a plain key.
        return change(secrets) ? { secrets: Object.fromEntries(secrets) } : undefined
      },
      {
        onCreate: () => onFirstWrite?.(`Storing the secret in ${this.location} (mode 0600): ${reason}`),
        onModeTightened: (mode) =>
          onModeTightened?.(`${this.location} was mode ${mode}, readable by other users; narrowed it to 0600. Consider changing the passwords it holds.`),
      },
    )
  }
}

/** A Map, not the parsed object: profile names like "constructor" must not hit Object.prototype. */
function secretsOf(file: string, data: Record<string, unknown> | undefined): Map<string, string> {
  const secrets = data?.secrets ?? {}
  const entries = typeof secrets === 'object' && secrets !== null ? Object.entries(secrets) : undefined
  if (!entries || entries.some(([, value]) => typeof value !== 'string')) {
    // Name the file, never the values.
    throw configError(`${file} is not a valid credentials file`, { actions: [`Fix or remove ${file}, then log in again.`] })
  }
  return new Map(entries as [string, string][])
}

/**
 * The keychain when it is usable, else the 0600 file. ERP_CREDENTIAL_STORE=file|keychain forces one.
 * `onWarning` hears about writes to the file store that the operator should know of.
 */
export async function openCredentialStore(opts: { onWarning?: (message: string) => void } = {}): Promise<CredentialStore> {
  const forced = forcedStoreName()
  const fileStore = (reason?: string) =>
    new FileStore({ onFirstWrite: opts.onWarning, onModeTightened: opts.onWarning, reason })
  if (forced === 'file') return fileStore('ERP_CREDENTIAL_STORE=file')
  const usable = await keychainUsable()
  if (usable) return new KeychainStore()
  if (forced === 'keychain') throw keychainUnusable()
  return fileStore()
}

/** The store a profile recorded its secret in, else the one openCredentialStore picks. */
export async function credentialStoreFor(recorded: StoreName | undefined): Promise<CredentialStore> {
  if (recorded === 'keychain') return new KeychainStore()
  if (recorded === 'file') return new FileStore()
  return openCredentialStore()
}

function forcedStoreName(): StoreName | undefined {
  const value = process.env.ERP_CREDENTIAL_STORE?.trim()
  if (!value) return undefined
  if (value === 'file' || value === 'keychain') return value
  throw configError(`ERP_CREDENTIAL_STORE must be "file" or "keychain", not ${JSON.stringify(value)}`, {
    actions: ['Set ERP_CREDENTIAL_STORE=file or ERP_CREDENTIAL_STORE=keychain, or unset it to pick automatically.'],
  })
}

function keychainUnusable() {
  const needs =
    process.platform === 'linux'
      ? 'on Linux erp needs a Secret Service (gnome-keyring, KWallet, KeePassXC) on the D-Bus session bus' +
        (process.env.DBUS_SESSION_BUS_ADDRESS ? ', and none answered' : ', and DBUS_SESSION_BUS_ADDRESS is not set')
      : 'the OS keychain did not answer a test write'
  return configError(`ERP_CREDENTIAL_STORE=keychain, but no OS keychain is usable here: ${needs}`, {
    actions: [
      process.platform === 'linux'
        ? 'Start a Secret Service in this session (for example gnome-keyring-daemon), or run under dbus-run-session with one.'
        : 'Unlock the keychain and try again.',
      'Or set ERP_CREDENTIAL_STORE=file to keep secrets in a 0600 file in the config directory.',
    ],
  })
}
