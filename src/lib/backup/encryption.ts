import fs from 'node:fs/promises'
import { Duplex, PassThrough, Readable } from 'node:stream'
import type { ReadableStream as WebReadable } from 'node:stream/web'
import type * as OpenPgpModule from 'openpgp'
import type { Key, PrivateKey } from 'openpgp'

import { configError, ErpError, ErrorKind, isErpError, usageError } from '../errors.js'

/**
 * Archives encrypted at rest: the whole erp tar, signed as usual (sign, then encrypt), becomes the
 * literal data of one OpenPGP message (RFC 4880: a public-key encrypted session key per recipient,
 * then AES-256 in a symmetrically encrypted, integrity protected data packet), through openpgp.js
 * as a stream, so memory stays flat whatever the archive's size. Any OpenPGP tool opens it without
 * erp: `gpg --decrypt acme-….erp.tar.gpg > acme-….erp.tar` gives the plain archive back.
 *
 * Decryption streams too: openpgp.js hands out plaintext before the message's modification
 * detection code (at its very end) is checked, and fails the stream there if it does not match.
 * That is safe here and only here because nothing downstream commits before the stream has ended
 * cleanly: the inner archive carries its own trailer checksum and signature, and readArchive
 * throws (a restore rolls back) on any error, the final one included.
 */

export const ENCRYPTED_SUFFIX = '.gpg'
/** The private key for encrypted archives, armored, when no --decrypt-key file is given (cron, CI). */
export const DECRYPT_KEY_ENV = 'ERP_BACKUP_DECRYPT_KEY'
/** The passphrase of a protected private key. Only ever read from the environment. */
export const PASSPHRASE_ENV = 'ERP_BACKUP_DECRYPT_PASSPHRASE'

type OpenPgp = typeof OpenPgpModule
let openpgpModule: Promise<OpenPgp> | undefined
/** openpgp.js is large: loaded only by the commands that encrypt or decrypt. */
const openpgp = () => (openpgpModule ??= import('openpgp'))

export interface Recipient {
  /** The key's fingerprint (hex), as `gpg --list-keys` prints it. */
  fingerprint: string
  userIds: string[]
  key: Key
}

export interface DecryptionKey {
  fingerprint: string
  /** Key ids of the key and its subkeys: a message encrypted to any of them opens with it. */
  keyIds: string[]
  key: PrivateKey
  /** Where it came from, for messages: a file path or the environment variable's name. */
  source: string
}

/** Whether an archive file's first bytes are an OpenPGP message (binary or armored), not a tar. */
export function looksEncrypted(head: Buffer): boolean {
  if (head.length === 0) return false
  // A tar header starts with the entry's name (manifest.json): printable ASCII. An OpenPGP packet's
  // first byte has its top bit set (RFC 4880 4.2).
  return (head[0] & 0x80) !== 0 || head.subarray(0, 27).toString('latin1') === '-----BEGIN PGP MESSAGE-----'
}


/** The public keys `--encrypt-to` names (files, armored or binary), each checked to be able to encrypt. */
export async function loadRecipients(files: string[]): Promise<Recipient[]> {
  const pgp = await openpgp()
  const recipients: Recipient[] = []
  for (const file of files) {
    const bytes = await fs.readFile(file).catch((err) => {
      throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Cannot read the public key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        actions: ['Export the recipient\'s public key with: gpg --armor --export <key id> > backup-key.asc'],
        cause: err,
      })
    })
    let keys: Key[]
    try {
      const text = bytes.toString('utf8')
      keys = text.includes('-----BEGIN PGP')
        ? await pgp.readKeys({ armoredKeys: text })
        : await pgp.readKeys({ binaryKeys: new Uint8Array(bytes) })
    } catch (err) {
      throw usageError(`${file} is not an OpenPGP public key`, {
        actions: ['Pass a public key exported with gpg --armor --export, or by another OpenPGP tool.'],
        cause: err,
      })
    }
    for (const key of keys) {
      if (key.isPrivate()) {
        throw usageError(`${file} holds a private key: --encrypt-to takes the public key only`, {
          actions: ['Export the public half: gpg --armor --export <key id> > backup-key.asc (keep the private key off the backup host).'],
        })
      }
      try {
        await key.getEncryptionKey()
      } catch (err) {
        throw usageError(`The key ${key.getFingerprint().toUpperCase()} in ${file} cannot encrypt (expired, revoked, or it has no encryption subkey)`, {
          actions: ['Give a key with a valid encryption subkey (gpg --list-keys shows [E] beside it).'],
          cause: err,
        })
      }
      recipients.push({ fingerprint: key.getFingerprint().toUpperCase(), userIds: key.getUserIDs(), key })
    }
  }
  if (recipients.length === 0) throw usageError('--encrypt-to names no key')
  return recipients
}

/**
 * A stream that encrypts what is written to it to `recipients` and reads out the OpenPGP message.
 * Slots into a pipeline right before the file.
 */
export function encryptingStream(recipients: Recipient[]): Duplex {
  const input = new PassThrough({ highWaterMark: 256 * 1024 })
  const output = new PassThrough({ highWaterMark: 256 * 1024 })
  const started = (async () => {
    const pgp = await openpgp()
    const message = await pgp.createMessage({ binary: Readable.toWeb(input) as ReadableStream<Uint8Array>, format: 'binary' })
    const encrypted = await pgp.encrypt({ message, encryptionKeys: recipients.map((r) => r.key), format: 'binary' })
    const out = Readable.fromWeb(encrypted as WebReadable<Uint8Array>)
    out.on('error', (err) => output.destroy(err))
    out.pipe(output)
  })()
  started.catch((err) => output.destroy(err))
  // Duplex.from pairs the writable and the readable side; an error of either destroys the pair.
  const pair = Duplex.from({ writable: input, readable: output })
  output.on('error', (err) => pair.destroy(err))
  return pair
}

/**
 * The private key for encrypted archives, in this order: `file` (--decrypt-key; mode 0600 or
 * narrower, as any secret erp reads), ERP_BACKUP_DECRYPT_KEY (armored), then the key kept in this
 * host's credential store (erp backup decrypt-key import). A protected key is unlocked with
 * ERP_BACKUP_DECRYPT_PASSPHRASE. Undefined when there is none. Messages never hold the key or the
 * passphrase.
 */
export async function loadDecryptionKey(file?: string): Promise<DecryptionKey | undefined> {
  if (file !== undefined) return readDecryptionKey(await readPrivateKeyFile(file), file)
  const env = process.env[DECRYPT_KEY_ENV]
  if (env !== undefined && env.trim() !== '') return readDecryptionKey(env, DECRYPT_KEY_ENV)
  const { storedDecryptionKey } = await import('./decryption-key-store.js')
  const stored = await storedDecryptionKey()
  return stored && readDecryptionKey(stored.armored, stored.source)
}

/** A private key file's text: refused when other users may read it, as any secret erp reads. */
export async function readPrivateKeyFile(file: string): Promise<string> {
  const stat = await fs.stat(file).catch((err) => {
    throw new ErpError(ErrorKind.FILE_NOT_FOUND, `No private key file ${file}`, { cause: err })
  })
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw configError(`The private key file ${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}): erp does not use it`, {
      actions: [`Narrow it: chmod 600 ${file}`],
    })
  }
  return fs.readFile(file, 'utf8')
}

/** An armored private key, unlocked (ERP_BACKUP_DECRYPT_PASSPHRASE) if it is protected. */
export async function readDecryptionKey(armored: string, source: string): Promise<DecryptionKey> {
  const pgp = await openpgp()
  let key: PrivateKey
  try {
    key = await pgp.readPrivateKey({ armoredKey: armored })
  } catch {
    throw configError(`${source} does not hold an armored OpenPGP private key`, {
      actions: ['Export it with: gpg --armor --export-secret-keys <key id> > backup-secret.asc; chmod 600 backup-secret.asc'],
      // openpgp's message may quote the input it choked on: not passed on.
      data: { source },
    })
  }
  if (!key.isDecrypted()) {
    const passphrase = process.env[PASSPHRASE_ENV]
    if (!passphrase) {
      throw configError(`The private key in ${source} is protected by a passphrase`, {
        actions: [`Set ${PASSPHRASE_ENV} in the environment (never on the command line), or export the key without one for the backup host.`],
      })
    }
    try {
      key = await pgp.decryptKey({ privateKey: key, passphrase })
    } catch {
      throw configError(`The passphrase in ${PASSPHRASE_ENV} does not unlock the private key in ${source}`, {
        actions: [`Check ${PASSPHRASE_ENV}.`],
      })
    }
  }
  const keyIds = [key.getKeyID(), ...key.getSubkeys().map((s) => s.getKeyID())].map((id) => id.toHex().toUpperCase())
  return { fingerprint: key.getFingerprint().toUpperCase(), keyIds, key, source }
}

/** Encrypted, and no key to open it with. */
export function keyNeeded(file: string): ErpError {
  return configError(`Archive ${file} is encrypted: erp needs the private key to read it`, {
    actions: [
      `Pass it: --decrypt-key <file> (an armored private key, mode 0600), or set ${DECRYPT_KEY_ENV} to it.`,
      'Or keep it in this host\'s credential store: erp backup decrypt-key import --from-file <file>',
      `Without erp: gpg --decrypt ${file} > archive.erp.tar`,
    ],
    data: { file, encrypted: true },
  })
}

/**
 * The plaintext of an encrypted archive, as a stream. Refuses a key the message is not encrypted
 * to before decrypting anything (a configuration error naming both sides' key ids); a message that
 * does not parse, or whose ciphertext was altered, fails with `damaged` (the archive's error).
 */
export async function decryptingStream(
  source: Readable,
  file: string,
  key: DecryptionKey | undefined,
  damaged: (what: string, cause?: unknown) => ErpError,
): Promise<Readable> {
  if (!key) {
    source.destroy()
    throw keyNeeded(file)
  }
  const pgp = await openpgp()
  let message: Awaited<ReturnType<OpenPgp['readMessage']>>
  try {
    message = await pgp.readMessage({ binaryMessage: Readable.toWeb(source) as ReadableStream<Uint8Array> })
  } catch (err) {
    source.destroy()
    throw damaged(`not a readable OpenPGP message (${(err as Error).message})`, err)
  }
  const to = message.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase())
  if (!to.some((id) => key.keyIds.includes(id))) {
    source.destroy()
    throw configError(`Archive ${file} is encrypted to other keys (${to.join(', ') || 'none listed'}), not to the key in ${key.source} (${key.fingerprint})`, {
      actions: [
        'Pass the private key of one of those key ids (gpg --list-secret-keys --keyid-format long shows them): --decrypt-key <file>, or ERP_BACKUP_DECRYPT_KEY.',
        'Or keep the right one on this host: erp backup decrypt-key import --from-file <file> (erp backup decrypt-key show prints the stored key\'s ids).',
      ],
      data: { file, encryptedTo: to, keyFingerprint: key.fingerprint },
    })
  }
  try {
    const { data } = await pgp.decrypt({
      message,
      decryptionKeys: key.key,
      format: 'binary',
      config: { allowUnauthenticatedStream: true },
    })
    const plain = Readable.fromWeb(data as WebReadable<Uint8Array>, { highWaterMark: 256 * 1024 })
    const out = new PassThrough({ highWaterMark: 256 * 1024 })
    plain.on('error', (err) => out.destroy(isErpError(err) ? err : damaged(`the encrypted data does not decrypt cleanly (${err.message}): altered or cut short`, err)))
    // A reader that stops early (a peek at the manifest, a failed check) stops the decryption and
    // closes the file, rather than leaving both paused until garbage collection.
    out.on('close', () => {
      plain.destroy()
      source.destroy()
    })
    return plain.pipe(out)
  } catch (err) {
    source.destroy()
    if (isErpError(err)) throw err
    throw damaged(`the encrypted data does not decrypt (${(err as Error).message})`, err)
  }
}
