import path from 'node:path'

import { Flags } from '@oclif/core'

/** Flags the backup commands share (encryption and deep verification), defined once. */

/** The default recipients of backup create (cron hosts that always encrypt): public key files, path.delimiter-separated. */
export const ENCRYPT_TO_ENV = 'ERP_BACKUP_ENCRYPT_TO'

/** --encrypt-to as given, else the files ERP_BACKUP_ENCRYPT_TO names, else none. */
export function recipientFiles(flag: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (flag?.length) return flag
  const files = (env[ENCRYPT_TO_ENV] ?? '').split(path.delimiter).map((f) => f.trim()).filter(Boolean)
  return files.length ? files : undefined
}

export const decryptKeyFlag = Flags.string({
  description:
    'Private key (armored OpenPGP, mode 0600) for encrypted archives; ERP_BACKUP_DECRYPT_KEY holds one in the environment, ' +
    'ERP_BACKUP_DECRYPT_PASSPHRASE its passphrase; without either, the key stored with erp backup decrypt-key import',
  helpValue: '<key file>',
})

export const encryptToFlag = Flags.string({
  description:
    'Encrypt each archive (after signing it) to this OpenPGP public key file; repeat for more recipients. Written as .erp.tar.gpg. ' +
    `Default: ${ENCRYPT_TO_ENV}, a ${path.delimiter}-separated list of such files`,
  multiple: true,
  helpValue: '<public key file>',
})

export const scratchUrlFlag = Flags.string({
  description:
    "With --deep: restore the scratch copy on this server (postgres:// URL of a role that may create roles), not the registry's. " +
    'Keep its password out of the command line: ERP_BACKUP_SCRATCH_URL, or ~/.pgpass',
  helpValue: '<url>',
  env: 'ERP_BACKUP_SCRATCH_URL',
})
