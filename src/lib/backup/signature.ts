import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * An archive's signature: HMAC-SHA-256, under the registry's signing key, of the registry's id and
 * the manifest's exact bytes. The manifest holds the sha256 of schema.json and of every table's
 * data, and readArchive checks each entry against it before the restore commits (schema.json before
 * anything uses it), so the signature covers every byte a restore uses. It sits in the SIGNATURE
 * entry right after the manifest: a reader knows whether it may trust an archive before it reads
 * a statement.
 */

export const SIGNATURE_ENTRY = 'SIGNATURE'
export const SIGNATURE_ALGORITHM = 'hmac-sha256'

export interface ArchiveSignature {
  algorithm: typeof SIGNATURE_ALGORITHM
  /** erp.registry_info.id of the registry whose key signed it. */
  registry: string
  /** Hex HMAC. */
  mac: string
}

/**
 * valid: signed by this registry's key. missing: no signature (an older erp, a tenant login's
 * backup). foreign-registry: signed by another registry. invalid: names this registry, but the
 * signature does not match the contents: altered after signing, or crafted.
 */
export type SignatureStatus = 'valid' | 'missing' | 'foreign-registry' | 'invalid'

export interface RegistryKey {
  registry: string
  key: Buffer
}

function mac(key: Buffer, registry: string, manifestJson: Buffer): Buffer {
  return createHmac('sha256', key).update(`erp-backup-signature v1\0${registry}\0`).update(manifestJson).digest()
}

export function signManifest({ key, registry }: RegistryKey, manifestJson: Buffer): ArchiveSignature {
  return { algorithm: SIGNATURE_ALGORITHM, registry, mac: mac(key, registry, manifestJson).toString('hex') }
}

export function encodeSignature(signature: ArchiveSignature): Buffer {
  return Buffer.from(`${JSON.stringify(signature)}\n`)
}

/** The SIGNATURE entry's content; a malformed one is kept as an unusable signature, not dropped. */
export function decodeSignature(body: Buffer): ArchiveSignature | 'malformed' {
  try {
    const value = JSON.parse(body.toString('utf8'))
    if (value?.algorithm === SIGNATURE_ALGORITHM && typeof value.registry === 'string' && typeof value.mac === 'string' && /^[0-9a-f]{64}$/.test(value.mac)) {
      return { algorithm: value.algorithm, registry: value.registry, mac: value.mac }
    }
  } catch {
    // falls through
  }
  return 'malformed'
}

/** Whether `signature` is this registry's, over exactly these manifest bytes. */
export async function signatureStatus(
  signature: ArchiveSignature | 'malformed' | undefined,
  manifestJson: Buffer,
  registry: string,
  /** This registry's key, looked up only when the signature names this registry. */
  key: () => Promise<Buffer | undefined>,
): Promise<SignatureStatus> {
  if (signature === undefined) return 'missing'
  if (signature === 'malformed') return 'invalid'
  if (signature.registry !== registry) return 'foreign-registry'
  const ours = await key()
  if (!ours) return 'invalid'
  return timingSafeEqual(mac(ours, registry, manifestJson), Buffer.from(signature.mac, 'hex')) ? 'valid' : 'invalid'
}
