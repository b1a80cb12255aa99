import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { humanBytes } from '../../lib/cli/domains/backup-columns.js'
import type { SignatureStatus } from '../../lib/backup/signature.js'

export interface BackupVerifyResult {
  file: string
  tenant: string
  createdAt: string
  bytes: number
  tables: number
  rows: number
  version: string | null
  valid: true
  /** valid: signed by this registry; missing: unsigned; foreign-registry: signed by another one. */
  signature: Exclude<SignatureStatus, 'invalid'>
}

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static summary = "Check an archive: every byte, every statement, and whether this registry signed it"
  static description =
    "Reads every byte: the tar structure, the manifest, schema.json (its shape, and that every statement is one erp backups write), " +
    "each table's checksum and row count, the trailer checksum of the whole file, and the signature against this registry's key " +
    "(so it needs the registry's database and an admin profile). Reports the signature as valid, missing (unsigned: an older erp, " +
    "a tenant login's backup) or foreign-registry, with a warning for the last two: restore takes those only with --trust-unsigned. " +
    'A truncated, altered or unreadable archive, or one whose signature does not match (invalid), is reported with exit code 65.'
  static examples = [
    '<%= config.bin %> <%= command.id %> /var/backups/erp/acme-20261125T030000.000Z.erp.tar',
    '<%= config.bin %> <%= command.id %> acme.erp.tar --json',
    '<%= config.bin %> <%= command.id %> s3://acme-backups/erp/nightly/acme-20261125T030000.000Z.erp.tar',
  ]
  static args = { archive: Args.string({ description: 'The archive file, or its s3://bucket/prefix/name', required: true }) }

  async run(): Promise<BackupVerifyResult> {
    const { verifyArchive, invalidSignature } = await import('../../lib/backup/trust.js')
    const { checkLocation } = await import('../../lib/backup/store.js')
    checkLocation(this.args.archive, 'archive')
    const db = await this.db()
    const progress = await this.progress(`Verifying ${this.args.archive}`)
    try {
      const { manifest, bytes, signatureStatus: signature } = await verifyArchive(db, this.args.archive, (status) => {
        if (status === 'invalid') throw invalidSignature(this.args.archive)
      })
      progress.stop()
      if (signature === 'invalid') throw invalidSignature(this.args.archive)
      if (signature !== 'valid') {
        this.warning(`${this.args.archive} is not signed by this registry (signature: ${signature}): restore takes it only with --trust-unsigned.`)
      }
      this.log(`OK ${this.args.archive}: tenant ${manifest.tenant.slug}, ${manifest.createdAt}, ${manifest.totals.tables} tables, ${manifest.totals.rows} rows, ${humanBytes(bytes)}, signature: ${signature}`)
      return {
        file: this.args.archive, tenant: manifest.tenant.slug, createdAt: manifest.createdAt, bytes,
        tables: manifest.totals.tables, rows: manifest.totals.rows, version: manifest.migrations.version, valid: true, signature,
      }
    } catch (err) {
      progress.fail()
      throw err
    }
  }
}
