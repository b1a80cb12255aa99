import { BaseCommand } from '../../../lib/cli/base-command.js'
import { confirmOrFail } from '../../../lib/cli/prompts.js'
import { yesFlag } from '../../../lib/cli/flags.js'

export interface BackupDecryptKeyRemoveResult {
  /** Whether a stored key was deleted. */
  removed: boolean
}

export default class BackupDecryptKeyRemove extends BaseCommand<typeof BackupDecryptKeyRemove> {
  static summary = "Delete the decryption key kept in this host's credential store"
  static description =
    'Encrypted archives then open only with --decrypt-key or ERP_BACKUP_DECRYPT_KEY here. Keep a copy of the key elsewhere: without ' +
    'it no encrypted archive can be restored, by erp or by gpg.'
  static examples = ['<%= config.bin %> <%= command.id %> --yes']
  static flags = { yes: yesFlag }

  async run(): Promise<BackupDecryptKeyRemoveResult> {
    await confirmOrFail('Delete the stored decryption key for encrypted archives from this host?', { yes: this.flags.yes })
    const { removeDecryptionKey } = await import('../../../lib/backup/decryption-key-store.js')
    const removed = await removeDecryptionKey()
    this.log(removed ? 'Deleted the stored decryption key.' : 'No decryption key was stored on this host.')
    return { removed }
  }
}
