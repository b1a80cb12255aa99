import { ErpError, ErrorKind, notAllowed } from '../errors.js'
import type { Db } from '../db/connect.js'
import { openArchiveReader, readArchive, type ArchiveCheck, type ArchiveHead, type ArchiveReader, type ReadOptions } from './archive.js'
import type { DecryptionKey } from './encryption.js'
import { signatureStatus, type SignatureStatus } from './signature.js'
import { verificationKey } from './signing-key.js'

export interface VerifiedArchive extends ArchiveCheck {
  signatureStatus: SignatureStatus
}

/**
 * Read an archive whole and say whose it is: the layout, the manifest, schema.json (its shape and
 * every statement), each table's checksum, the trailer, and the signature against this registry's
 * key. `refuse` may stop the read the moment the signature is known, before schema.json is read.
 */
export async function verifyArchive(db: Db, file: string, refuse?: (status: SignatureStatus) => void, options: ReadOptions = {}): Promise<VerifiedArchive> {
  const ours = await verificationKey(db)
  let status: SignatureStatus | undefined
  const check = await readArchive(file, {
    onSignature: async (manifestJson, signature) => {
      status = await signatureStatus(signature, manifestJson, ours.registry, ours.key)
      refuse?.(status)
    },
  }, { decryptionKey: options.decryptionKey })
  return { ...check, signatureStatus: status! }
}

export interface TrustOptions {
  /** --trust-unsigned: take an unsigned archive, or one of another registry. Never an invalid one. */
  trustUnsigned?: boolean
  /** The private key of an encrypted archive. */
  decryptionKey?: DecryptionKey
  /** Pin the read to a manifest checked before (a reopened archive must be the same one). */
  manifestSha256?: string
}

export interface TrustedArchive {
  /** Open, past the manifest and the signature: its rest() is the restore's one pass over the data. */
  reader: ArchiveReader
  head: ArchiveHead
  signatureStatus: SignatureStatus
}

/**
 * The check before a restore uses any byte of an archive: open it and read its head (the manifest
 * and the SIGNATURE entry right after it), then refuse an invalid signature always, and an unsigned
 * or foreign one unless the operator said to trust it. Nothing past the head has been read, let
 * alone used, when this returns or throws; the caller goes on with `reader.rest()`, which checks
 * schema.json, each table and the trailer against this (signed) manifest as it reads them, and
 * must close the reader on every path.
 */
export async function openTrustedArchive(db: Db, file: string, options: TrustOptions = {}): Promise<TrustedArchive> {
  const ours = await verificationKey(db)
  const reader = await openArchiveReader(file, { decryptionKey: options.decryptionKey, manifestSha256: options.manifestSha256 })
  try {
    const head = await reader.head()
    const status = await signatureStatus(head.signature, head.manifestJson, ours.registry, ours.key)
    if (status === 'invalid') throw invalidSignature(file)
    if (status !== 'valid' && !options.trustUnsigned) throw untrusted(file, status)
    return { reader, head, signatureStatus: status }
  } catch (err) {
    reader.close()
    throw err
  }
}

export function invalidSignature(file: string): ErpError {
  return new ErpError(ErrorKind.INVALID_DATA, `Archive ${file} carries this registry's name but its signature does not match its contents: it was altered after it was signed. Nothing was restored.`, {
    actions: ['Do not restore it. Use another archive of this tenant (erp backup list), and find out who changed this one.'],
    data: { file, signature: 'invalid' },
  })
}

function untrusted(file: string, status: SignatureStatus): ErpError {
  const why = status === 'missing'
    ? 'it is not signed (made by an erp before signatures, or by a tenant login, or its signature was removed)'
    : 'it is signed by another registry'
  return notAllowed(`Archive ${file} is not signed by this registry: ${why}. Nothing was restored.`, {
    actions: [
      `If you know where it comes from and trust it, restore it with --trust-unsigned (its statements are still checked before any runs).`,
      'Check it first: erp backup verify <archive>',
    ],
    data: { file, signature: status },
  })
}
