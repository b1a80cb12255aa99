import { BaseCommand } from '../../../lib/cli/base-command.js'
import type { KeyDescription } from '../../../lib/backup/signing-key.js'

export type BackupKeyShowResult = KeyDescription

export default class BackupKeyShow extends BaseCommand<typeof BackupKeyShow> {
  static summary = "Show the fingerprint of the registry's backup signing key, and whether this host has the key"
  static description =
    'Archives are signed with a key made once per registry by its first admin backup and kept in each backup host\'s credential ' +
    'store (or ERP_BACKUP_SIGNING_KEY). This prints only fingerprints, never the key: compare them across hosts. ' +
    'To give another host the key: erp backup key export there, erp backup key import here.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<BackupKeyShowResult> {
    const { describeSigningKey } = await import('../../../lib/backup/signing-key.js')
    const key = await describeSigningKey(await this.db())
    const host = key.host
      ? `${key.host.fingerprint} in ${key.host.source === 'environment' ? 'ERP_BACKUP_SIGNING_KEY' : `the ${key.host.source} store`}${key.host.matches ? '' : key.fingerprint ? " (NOT the registry's key)" : ''}`
      : 'none'
    this.log(`Registry ${key.registry}: signing key ${key.fingerprint ?? 'not created yet (the first admin backup creates it)'}; on this host: ${host}`)
    return key
  }
}
