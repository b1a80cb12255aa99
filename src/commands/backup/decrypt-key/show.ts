import { BaseCommand } from '../../../lib/cli/base-command.js'
import type { DecryptKeyShowResult } from '../../../lib/backup/decryption-key-store.js'

export type BackupDecryptKeyShowResult = DecryptKeyShowResult

export default class BackupDecryptKeyShow extends BaseCommand<typeof BackupDecryptKeyShow> {
  static summary = "Show which decryption key this host keeps for encrypted archives (fingerprint and key ids, never the key)"
  static description =
    'Prints the fingerprint, key ids and user ids of the private key stored with erp backup decrypt-key import, and where it is kept. ' +
    'Compare the key ids with what an archive is encrypted to (gpg --list-packets <archive>). ERP_BACKUP_DECRYPT_KEY, when set, wins over it.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<BackupDecryptKeyShowResult> {
    const { showDecryptionKey } = await import('../../../lib/backup/decryption-key-store.js')
    const shown = await showDecryptionKey()
    const override = shown.environmentOverrides ? ' (ERP_BACKUP_DECRYPT_KEY is set here and wins over it)' : ''
    this.log(
      shown.stored
        ? `Decryption key ${shown.stored.fingerprint} (${shown.stored.userIds.join(', ') || 'no user id'}; key ids ${shown.stored.keyIds.join(', ')}) in the ${shown.stored.store}${override}.`
        : `No decryption key stored on this host${override}. Store one with: erp backup decrypt-key import --from-file <file>`,
    )
    return shown
  }
}
