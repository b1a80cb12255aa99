import fs from 'node:fs'
import path from 'node:path'
import * as openpgp from 'openpgp'

/** An OpenPGP key pair for the backup encryption tests, as files (the secret one 0600) and as text. */
export interface KeyPair { pub: string; sec: string; armoredSecret: string; fingerprint: string }

export async function keyPair(dir: string, name: string, passphrase?: string): Promise<KeyPair> {
  const { publicKey, privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email: `${name}@example.com` }], passphrase, format: 'armored' })
  const pub = path.join(dir, `${name}.pub.asc`)
  const sec = path.join(dir, `${name}.sec.asc`)
  fs.writeFileSync(pub, publicKey)
  fs.writeFileSync(sec, privateKey, { mode: 0o600 })
  const key = await openpgp.readKey({ armoredKey: publicKey })
  return { pub, sec, armoredSecret: privateKey, fingerprint: key.getFingerprint().toUpperCase() }
}
