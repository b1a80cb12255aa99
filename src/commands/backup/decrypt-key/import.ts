import { Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { usageError } from '../../../lib/errors.js'
import { currentIo } from '../../../lib/io.js'
import type { StoredKeyDescription } from '../../../lib/backup/decryption-key-store.js'

export type BackupDecryptKeyImportResult = StoredKeyDescription

export default class BackupDecryptKeyImport extends BaseCommand<typeof BackupDecryptKeyImport> {
  static summary = "Keep the private key for encrypted archives in this host's credential store"
  static description =
    'Reads an armored OpenPGP private key (gpg --armor --export-secret-keys) from a file of mode 0600 (--from-file) or from stdin, ' +
    "checks that it can decrypt, and keeps it in this host's credential store, as passwords are. backup verify, restore, list and " +
    'prune then open encrypted archives with it when neither --decrypt-key nor ERP_BACKUP_DECRYPT_KEY gives a key. A protected key ' +
    'is unlocked once, here, with ERP_BACKUP_DECRYPT_PASSPHRASE, and stored unlocked. Replaces a key stored before. Never printed.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --from-file /root/erp-backup-secret.asc',
    'gpg --armor --export-secret-keys backups@acme.example | <%= config.bin %> <%= command.id %> --from-stdin',
  ]
  static flags = {
    'from-file': Flags.string({ description: 'Read the key from this file (mode 0600 or narrower)', helpValue: '<key file>', exclusive: ['from-stdin'] }),
    'from-stdin': Flags.boolean({ description: 'Read the key from stdin', exclusive: ['from-file'] }),
  }

  async run(): Promise<BackupDecryptKeyImportResult> {
    const { 'from-file': file, 'from-stdin': stdin } = this.flags
    if (!file && !stdin) {
      throw usageError('Say where the key comes from: --from-file <file> (mode 0600) or --from-stdin', {
        actions: ['erp backup decrypt-key import --from-file /root/erp-backup-secret.asc'],
      })
    }
    const { importDecryptionKey } = await import('../../../lib/backup/decryption-key-store.js')
    let armored: string
    if (file) {
      const { readPrivateKeyFile } = await import('../../../lib/backup/encryption.js')
      armored = await readPrivateKeyFile(file)
    } else {
      const { readStdinSecret } = await import('../../../lib/cli/prompts.js')
      armored = await readStdinSecret(currentIo().stdin, '--from-stdin')
    }
    const stored = await importDecryptionKey(armored, file ?? 'the key read from stdin', { onWarning: (m) => this.warning(m) })
    this.log(`Stored the decryption key ${stored.fingerprint} (${stored.userIds.join(', ') || 'no user id'}) in the ${stored.store}.`)
    return stored
  }
}
