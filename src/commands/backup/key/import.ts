import { Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { usageError } from '../../../lib/errors.js'
import { currentIo } from '../../../lib/io.js'

export interface BackupKeyImportResult {
  registry: string
  fingerprint: string
  /** The credential store that now holds it. */
  store: string
}

export default class BackupKeyImport extends BaseCommand<typeof BackupKeyImport> {
  static summary = "Keep the registry's backup signing key, exported on another host, in this host's credential store"
  static description =
    "Reads the key from stdin (what erp backup key export wrote) and stores it in this host's credential store, as passwords " +
    "are. It must be this registry's key: its fingerprint is checked against the one the registry records."
  static examples = ['<%= config.bin %> <%= command.id %> --from-stdin < /root/erp-backup-key.b64']
  static audited = true
  static flags = {
    'from-stdin': Flags.boolean({ description: 'Read the key from stdin' }),
  }

  async run(): Promise<BackupKeyImportResult> {
    if (!this.flags['from-stdin']) {
      throw usageError('The key is read from stdin only, never from a flag: pass --from-stdin', {
        actions: ['erp backup key import --from-stdin < key.b64'],
      })
    }
    const { readStdinSecret } = await import('../../../lib/cli/prompts.js')
    const { importSigningKey } = await import('../../../lib/backup/signing-key.js')
    const secret = await readStdinSecret(currentIo().stdin, '--from-stdin')
    const imported = await importSigningKey(await this.db(), secret, { onWarning: (m) => this.warning(m) })
    this.log(`Stored the backup signing key of registry ${imported.registry} (fingerprint ${imported.fingerprint}) in ${imported.store}.`)
    return imported
  }
}
