import { ErpError, ErrorKind, notAllowed } from '../errors.js'
import type { Db } from '../db/connect.js'
import { readArchive, type ArchiveCheck, type ReadOptions } from './archive.js'
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
  }, { decryptionKey: options.decryptionKey, dataCheck: options.dataCheck })
  return { ...check, signatureStatus: status! }
}

export interface TrustOptions {
  /** --trust-unsigned: take an unsigned archive, or one of another registry. Never an invalid one. */
  trustUnsigned?: boolean
  /** The private key of an encrypted archive. */
  decryptionKey?: DecryptionKey
}

/**
 * The check before a restore uses any byte of an archive: one full pass, which refuses an invalid
 * signature always, and an unsigned or foreign one unless the operator said to trust it, before it
 * reads schema.json. The restore then reads the archive again, pinned to the manifest checked here.
 */
export async function authenticateArchive(db: Db, file: string, options: TrustOptions = {}): Promise<VerifiedArchive> {
  // The restore's own pass decompresses and checks every table before it commits; this one need
  // only authenticate the compressed bytes against the signed manifest (older archives: in full).
  return verifyArchive(db, file, (status) => {
    if (status === 'invalid') throw invalidSignature(file)
    if (status !== 'valid' && !options.trustUnsigned) throw untrusted(file, status)
  }, { decryptionKey: options.decryptionKey, dataCheck: 'compressed' })
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
