import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { yesFlag } from '../../lib/cli/flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { decryptKeyFlag } from '../../lib/cli/domains/backup-flags.js'
import type { RestoreResult } from '../../lib/backup/restore.js'

export type BackupRestoreResult = RestoreResult

export default class BackupRestore extends BaseCommand<typeof BackupRestore> {
  static summary = 'Restore an archive as a tenant (a new one, or --force over a live one)'
  static description =
    "Restores into a new tenant, the archive's slug or --as another (this is how tenants move between servers), in one transaction: " +
    'the registry row and role, the schema, the data and then the migrations newer than the archive. The archive is checked while it is ' +
    'read and nothing is committed unless it is whole, so a failed or killed restore leaves nothing behind. A live tenant is replaced only ' +
    'with --force, which first backs it up next to the archive (or into --backup-dir) and keeps its roles and stored logins. ' +
    'The archive is read once; its signature is checked first, before anything else is read or created: an archive not signed by this registry (unsigned, or another ' +
    "registry's) is refused unless --trust-unsigned says to take it; one whose signature does not match its contents is " +
    'always refused; and schema.json may hold only the statements erp backups write, whatever the signature. ' +
    'An encrypted archive (.erp.tar.gpg) is decrypted as it is read, with --decrypt-key, ERP_BACKUP_DECRYPT_KEY or the key stored with erp backup decrypt-key import.'
  static examples = [
    '<%= config.bin %> <%= command.id %> /var/backups/erp/acme-20261125T030000.000Z.erp.tar --as acme_restored',
    '<%= config.bin %> <%= command.id %> acme-20261125T030000.000Z.erp.tar --force --yes',
    '<%= config.bin %> <%= command.id %> s3://acme-backups/erp/nightly/acme-20261125T030000.000Z.erp.tar --as acme_restored',
    '<%= config.bin %> <%= command.id %> staging-acme-20261125T030000.000Z.erp.tar --as acme_from_staging --trust-unsigned',
    '<%= config.bin %> <%= command.id %> acme-20261125T030000.000Z.erp.tar.gpg --as acme_restored --decrypt-key /root/erp-backup-secret.asc',
  ]
  static audited = true
  static args = { archive: Args.string({ description: 'The archive file, or its s3://bucket/prefix/name', required: true }) }
  static flags = {
    as: Flags.string({ description: "Restore as this tenant slug (the archive's by default)", helpValue: '<slug>' }),
    name: Flags.string({ description: "Display name of the new tenant (the archive's by default)" }),
    force: Flags.boolean({ description: 'Replace a live tenant of that slug, after backing it up' }),
    'trust-unsigned': Flags.boolean({ description: "Take an archive this registry did not sign (unsigned, or another registry's): only one you know the origin of" }),
    'backup-dir': Flags.string({ description: "Where --force puts the backup of the replaced tenant (the archive's folder by default)", helpValue: '<dir>' }),
    'decrypt-key': decryptKeyFlag,
    yes: yesFlag,
  }

  async run(): Promise<BackupRestoreResult> {
    const { restoreArchive } = await import('../../lib/backup/restore.js')
    const { checkLocation, parentOf } = await import('../../lib/backup/store.js')
    checkLocation(this.args.archive, 'archive')
    if (this.flags['backup-dir']) checkLocation(this.flags['backup-dir'], '--backup-dir')
    const { loadDecryptionKey } = await import('../../lib/backup/encryption.js')
    const decryptionKey = await loadDecryptionKey(this.flags['decrypt-key'])
    const db = await this.db()
    this.auditTenant = this.flags.as
    const progress = await this.progress(`Restoring ${this.args.archive}`)
    try {
      const result = await restoreArchive(db, this.args.archive, {
        as: this.flags.as,
        name: this.flags.name,
        force: this.flags.force,
        trustUnsigned: this.flags['trust-unsigned'],
        decryptionKey,
        safetyDir: this.flags['backup-dir'] ?? parentOf(this.args.archive),
        toolVersion: this.config.version,
        confirmReplace: async (slug) => {
          progress.stop()
          await confirmOrFail(`Replace the live tenant "${slug}" with the archive's contents (it is backed up first)?`, { yes: this.flags.yes })
        },
        onSafetyBackup: (b) => this.note(`Backed up the live tenant ${b.tenant} first: ${b.file}`),
      })
      progress.stop()
      this.auditTenant = result.tenant
      for (const w of result.warnings) this.warning(w)
      const migrated = result.migrationsApplied.length ? `, then applied ${result.migrationsApplied.length} newer migration(s)` : ''
      this.log(`Restored ${result.from.tenant} (${result.from.createdAt}) as ${result.tenant}: ${result.tables} tables, ${result.rows} rows${migrated}.`)
      return result
    } catch (err) {
      progress.fail()
      throw err
    }
  }
}
