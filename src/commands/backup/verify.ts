import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { humanBytes } from '../../lib/cli/domains/backup-columns.js'
import { decryptKeyFlag, scratchUrlFlag } from '../../lib/cli/domains/backup-flags.js'
import type { DeepVerifyResult } from '../../lib/backup/deep-verify.js'
import type { SignatureStatus } from '../../lib/backup/signature.js'
import type { DecryptionKey } from '../../lib/backup/encryption.js'
import type { Db } from '../../lib/db/connect.js'

export interface BackupVerifyShallowResult {
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
  encrypted: boolean
}

/** One archive of `--deep --all`: its result, or why it failed. */
export interface DeepVerifyRow {
  file: string
  status: DeepVerifyResult['status'] | 'failed'
  result?: DeepVerifyResult
  error?: string
}

export interface BackupVerifyAllResult {
  dir: string
  archives: DeepVerifyRow[]
  failed: number
  /** Archives (tenants) restored and checked per hour, in this run. */
  perHour: number
}

export type BackupVerifyResult = BackupVerifyShallowResult | DeepVerifyResult | BackupVerifyAllResult

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static summary = "Check an archive: every byte, every statement, whether this registry signed it, and with --deep that it restores"
  static description =
    "Reads every byte: the tar structure, the manifest, schema.json (its shape, and that every statement is one erp backups write), " +
    "each table's checksum and row count, the trailer checksum of the whole file, and the signature against this registry's key " +
    "(so it needs the registry's database and an admin profile). Reports the signature as valid, missing (unsigned: an older erp, " +
    "a tenant login's backup) or foreign-registry, with a warning for the last two: restore takes those only with --trust-unsigned. " +
    'A truncated, altered or unreadable archive, or one whose signature does not match (invalid), is reported with exit code 65. ' +
    'Encrypted archives (.erp.tar.gpg) are decrypted on the fly with --decrypt-key, ERP_BACKUP_DECRYPT_KEY or the key stored with erp backup decrypt-key import. ' +
    '--deep proves the archive by restoring it: into a scratch schema under a throwaway name and role (on the same server, or ' +
    '--scratch-url), it compares every table\'s row count and content hash with the manifest, applies newer migrations, runs stock ' +
    'verify and invoices audit on the copy, then drops it, whatever happened. A copy that differs from its manifest exits 65; ' +
    'stock drift or invoice-number problems in the copy exit 1. --all does it for every archive in a folder.'
  static examples = [
    '<%= config.bin %> <%= command.id %> /var/backups/erp/acme-20261125T030000.000Z.erp.tar',
    '<%= config.bin %> <%= command.id %> acme.erp.tar --json',
    '<%= config.bin %> <%= command.id %> acme-20261125T030000.000Z.erp.tar.gpg --deep --decrypt-key /root/erp-backup-secret.asc',
    '<%= config.bin %> <%= command.id %> /var/backups/erp --deep --all --scratch-url postgres://verify@scratch-db/erp_scratch',
    '<%= config.bin %> <%= command.id %> s3://acme-backups/erp/nightly/acme-20261125T030000.000Z.erp.tar',
  ]
  static args = { archive: Args.string({ description: 'The archive file, or its s3://bucket/prefix/name (with --all: the folder or prefix of archives)', required: true }) }
  static flags = {
    deep: Flags.boolean({ description: 'Restore it into a throwaway scratch schema, compare with the manifest, check stock and invoices, drop it' }),
    all: Flags.boolean({ description: 'With --deep: every archive in the folder given', dependsOn: ['deep'] }),
    'scratch-url': scratchUrlFlag,
    'decrypt-key': decryptKeyFlag,
    'trust-unsigned': Flags.boolean({ description: "With --deep: restore an archive this registry did not sign into the scratch schema (only one you know the origin of)" }),
  }

  async run(): Promise<BackupVerifyResult> {
    const { checkLocation } = await import('../../lib/backup/store.js')
    checkLocation(this.args.archive, 'archive')
    const { loadDecryptionKey } = await import('../../lib/backup/encryption.js')
    const decryptionKey = await loadDecryptionKey(this.flags['decrypt-key'])
    const db = await this.db()
    if (this.flags.deep) return this.flags.all ? this.deepAll(db, decryptionKey) : this.deepOne(db, decryptionKey)
    const { verifyArchive, invalidSignature } = await import('../../lib/backup/trust.js')
    const progress = await this.progress(`Verifying ${this.args.archive}`)
    try {
      const { manifest, bytes, encrypted, signatureStatus: signature } = await verifyArchive(db, this.args.archive, (status) => {
        if (status === 'invalid') throw invalidSignature(this.args.archive)
      }, { decryptionKey })
      progress.stop()
      if (signature === 'invalid') throw invalidSignature(this.args.archive)
      if (signature !== 'valid') {
        this.warning(`${this.args.archive} is not signed by this registry (signature: ${signature}): restore takes it only with --trust-unsigned.`)
      }
      this.log(`OK ${this.args.archive}: tenant ${manifest.tenant.slug}, ${manifest.createdAt}, ${manifest.totals.tables} tables, ${manifest.totals.rows} rows, ${humanBytes(bytes)}, signature: ${signature}${encrypted ? ', encrypted' : ''}`)
      return {
        file: this.args.archive, tenant: manifest.tenant.slug, createdAt: manifest.createdAt, bytes,
        tables: manifest.totals.tables, rows: manifest.totals.rows, version: manifest.migrations.version, valid: true, signature, encrypted,
      }
    } catch (err) {
      progress.fail()
      throw err
    }
  }

  private deepOptions(decryptionKey: DecryptionKey | undefined) {
    return { decryptionKey, trustUnsigned: this.flags['trust-unsigned'], scratchUrl: this.flags['scratch-url'] }
  }

  private async deepOne(db: Db, decryptionKey: DecryptionKey | undefined): Promise<DeepVerifyResult> {
    const { deepVerifyArchive, mismatchError } = await import('../../lib/backup/deep-verify.js')
    const progress = await this.progress(`Restoring ${this.args.archive} into a scratch schema`)
    let result: DeepVerifyResult
    try {
      result = await deepVerifyArchive(db, this.args.archive, this.deepOptions(decryptionKey))
      progress.stop()
    } catch (err) {
      progress.fail()
      throw err
    }
    for (const w of result.warnings) this.warning(w)
    if (result.status === 'mismatch') throw mismatchError(result)
    this.report(result)
    return result
  }

  private report(r: DeepVerifyResult): void {
    const checks = `stock: ${r.stock.levels} levels against ${r.stock.moves} moves, ${r.stock.drifted + r.stock.serialsDrifted} drifted; invoices: ${r.invoices.documents} documents, ${r.invoices.problems.length} problem(s)`
    if (r.status === 'problems') {
      this.exitStatus = ExitCode.FAILURE
      this.warning(`${r.file} restores as its manifest says, but the copy has problems (${checks}).`)
    }
    this.log(`${r.status === 'ok' ? 'OK' : 'PROBLEMS'} ${r.file} (deep): tenant ${r.tenant}, ${r.createdAt}, ${r.tables} tables and ${r.rows} rows restored and matching the manifest; ${checks}; ${(r.durationMs / 1000).toFixed(1)}s`)
  }

  private async deepAll(db: Db, decryptionKey: DecryptionKey | undefined): Promise<BackupVerifyAllResult> {
    const { archivesIn, deepVerifyArchive } = await import('../../lib/backup/deep-verify.js')
    const files = await archivesIn(this.args.archive)
    const progress = await this.progress(`Verifying ${files.length} archive(s) deeply`)
    const started = performance.now()
    const archives: DeepVerifyRow[] = []
    for (const [i, file] of files.entries()) {
      progress.update(`Verifying archives deeply: ${i}/${files.length}`)
      try {
        const result = await deepVerifyArchive(db, file, this.deepOptions(decryptionKey))
        archives.push({ file, status: result.status, result })
      } catch (err) {
        archives.push({ file, status: 'failed', error: (err as Error).message })
      }
    }
    progress.stop()
    const hours = (performance.now() - started) / 3_600_000
    const bad = archives.filter((a) => a.status !== 'ok')
    for (const a of bad) {
      this.note(`${a.file}: ${a.status}${a.error ? `: ${a.error}` : a.result?.mismatched.length ? `: ${a.result.mismatched.map((m) => m.table).join(', ')} differ from the manifest` : ''}`)
    }
    if (bad.length) this.exitStatus = ExitCode.FAILURE
    const perHour = files.length && hours > 0 ? Math.round(files.length / hours) : 0
    this.log(`Verified ${archives.length - bad.length} of ${archives.length} archive(s) deeply in ${this.args.archive} (${perHour} per hour)${bad.length ? `; ${bad.length} failed` : ''}.`)
    return { dir: this.args.archive, archives, failed: bad.length, perHour }
  }
}
