import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { humanBytes } from '../../lib/backup/columns.js'

export interface BackupVerifyResult {
  file: string
  tenant: string
  createdAt: string
  bytes: number
  tables: number
  rows: number
  version: string | null
  valid: true
}

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static summary = 'Check an archive, without a database'
  static description =
    'Reads every byte: the tar structure, the manifest, each table\'s checksum and row count, and the trailer checksum of the ' +
    'whole file. A truncated, altered or unreadable archive is reported with exit code 65.'
  static examples = [
    '<%= config.bin %> <%= command.id %> /var/backups/erp/acme-20261125T030000.000Z.erp.tar',
    '<%= config.bin %> <%= command.id %> acme.erp.tar --json',
  ]
  static args = { archive: Args.string({ description: 'The archive file', required: true }) }

  async run(): Promise<BackupVerifyResult> {
    const { readArchive } = await import('../../lib/backup/archive.js')
    const progress = await this.progress(`Verifying ${this.args.archive}`)
    try {
      const { manifest, bytes } = await readArchive(this.args.archive)
      progress.stop()
      this.log(`OK ${this.args.archive}: tenant ${manifest.tenant.slug}, ${manifest.createdAt}, ${manifest.totals.tables} tables, ${manifest.totals.rows} rows, ${humanBytes(bytes)}`)
      return {
        file: this.args.archive, tenant: manifest.tenant.slug, createdAt: manifest.createdAt, bytes,
        tables: manifest.totals.tables, rows: manifest.totals.rows, version: manifest.migrations.version, valid: true,
      }
    } catch (err) {
      progress.fail()
      throw err
    }
  }
}
