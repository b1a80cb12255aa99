import { Flags } from '@oclif/core'

/** Flags the backup commands share (encryption and deep verification), defined once. */

export const decryptKeyFlag = Flags.string({
  description:
    'Private key (armored OpenPGP, mode 0600) for encrypted archives; ERP_BACKUP_DECRYPT_KEY holds one in the environment, ' +
    'ERP_BACKUP_DECRYPT_PASSPHRASE its passphrase; without either, the key stored with erp backup decrypt-key import',
  helpValue: '<key file>',
})

export const encryptToFlag = Flags.string({
  description: 'Encrypt each archive (after signing it) to this OpenPGP public key file; repeat for more recipients. Written as .erp.tar.gpg',
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
