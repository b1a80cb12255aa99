import { Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { usageError } from '../../../lib/errors.js'
import { currentIo } from '../../../lib/io.js'

export interface BackupKeyExportResult {
  registry: string
  fingerprint: string
  /** The 0600 file written; absent with --stdout. */
  file?: string
}

export default class BackupKeyExport extends BaseCommand<typeof BackupKeyExport> {
  static summary = "Hand the registry's backup signing key to another backup host"
  static description =
    'Writes the key (base64, the form ERP_BACKUP_SIGNING_KEY takes) to a new file of mode 0600 with --to-file, or to stdout ' +
    'with --stdout only. Anyone holding it can sign archives this registry restores without --trust-unsigned: move it ' +
    'over a channel you trust, import it on the other host (erp backup key import --from-stdin), then delete the file.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --to-file /root/erp-backup-key.b64',
    'ssh backup1 erp <%= command.id %> --stdout | ssh backup2 erp backup key import --from-stdin',
  ]
  static audited = true
  static flags = {
    'to-file': Flags.string({ description: 'Write the key to this new file (mode 0600; an existing file is not overwritten)', helpValue: '<path>', exclusive: ['stdout'] }),
    stdout: Flags.boolean({ description: 'Write the key to stdout, and nothing else', exclusive: ['to-file'] }),
  }

  async run(): Promise<BackupKeyExportResult> {
    const { 'to-file': file, stdout } = this.flags
    if (!file && !stdout) {
      throw usageError('Say where the key goes: --to-file <path> (a new 0600 file) or --stdout', {
        actions: ['erp backup key export --to-file key.b64', 'erp backup key export --stdout | ssh other-host erp backup key import --from-stdin'],
      })
    }
    if (stdout && this.jsonEnabled()) throw usageError('--stdout writes the key alone: leave out --json')
    const { exportSigningKey } = await import('../../../lib/backup/signing-key.js')
    const key = await exportSigningKey(await this.db())
    if (stdout) {
      currentIo().stdout.write(`${key.base64}\n`)
      return { registry: key.registry, fingerprint: key.fingerprint }
    }
    const { writeNewPrivateFile } = await import('../../../lib/auth/private-file.js')
    await writeNewPrivateFile(file!, `${key.base64}\n`)
    this.log(`Wrote the backup signing key of registry ${key.registry} (fingerprint ${key.fingerprint}) to ${file} (mode 0600).`)
    return { registry: key.registry, fingerprint: key.fingerprint, file }
  }
}
