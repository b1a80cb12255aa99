import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, tenantFlag } from '../../lib/cli/flags.js'
import { humanBytes } from '../../lib/cli/domains/backup-columns.js'
import { decryptKeyFlag, encryptToFlag, recipientFiles } from '../../lib/cli/domains/backup-flags.js'
import type { BackupResult } from '../../lib/backup/create.js'

export interface BackupCreateRow {
  tenant: string
  status: 'ok' | 'failed'
  file?: string
  bytes?: number
  tables?: number
  rows?: number
  version?: string | null
  /** Signed with the registry's key (admin profiles); a tenant login's backups are not. */
  signed?: boolean
  /** Fingerprints of the keys it is encrypted to (--encrypt-to); empty when not encrypted. */
  encryptedTo?: string[]
  error?: string
  /** --verify deep: the archive restored into a scratch schema and checked (backup verify --deep). */
  deepVerify?: { status: 'ok' | 'mismatch' | 'problems' | 'failed'; error?: string; durationMs: number }
  durationMs: number
}

export interface BackupCreateResult {
  outDir: string
  tenants: BackupCreateRow[]
  failed: number
}

export default class BackupCreate extends BaseCommand<typeof BackupCreate> {
  static summary = 'Back up one tenant or all of them, one archive per tenant'
  static description =
    "Each archive holds the tenant schema's DDL, every table's data (COPY, gzip) and a manifest with row counts and checksums, " +
    "signed with the registry's key (made by the first admin backup; see erp backup key show), " +
    'all from one snapshot while writes go on. It is written under a temporary name and renamed only when complete and flushed, ' +
    'or, to s3://bucket/prefix (S3, MinIO, R2, GCS interoperability; credentials from the AWS SDK chain), streamed up as a multipart ' +
    'upload that appears only when complete. Any other URL is refused. ' +
    'Suspended tenants are backed up too. --encrypt-to (or ERP_BACKUP_ENCRYPT_TO) encrypts each signed archive to OpenPGP keys (gpg --decrypt opens it); ' +
    '--verify deep then restores each new archive into a scratch schema and checks it, as backup verify --deep does. On success it prints one summary line; each failed tenant gets a line on stderr, ' +
    'the others are still backed up, and the exit code is 1. Made for cron: see docs/backups.md.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --out /var/backups/erp',
    '<%= config.bin %> <%= command.id %> --all-tenants --out /var/backups/erp --concurrency 2 --jobs 2 --json',
    '<%= config.bin %> <%= command.id %> --all-tenants --out /var/backups/erp --encrypt-to /etc/erp/backup-key.asc',
    '<%= config.bin %> <%= command.id %> --all-tenants --out /var/backups/erp --verify deep',
    '<%= config.bin %> <%= command.id %> --all-tenants --out s3://acme-backups/erp/nightly --concurrency 4',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    out: Flags.string({ char: 'o', description: 'Folder or s3://bucket/prefix for the archives (ERP_BACKUP_DIR, or backups/ in the data folder)', helpValue: '<dir|s3://bucket/prefix>', env: 'ERP_BACKUP_DIR' }),
    concurrency: concurrencyFlag,
    jobs: Flags.integer({ char: 'j', description: 'Tables of one tenant dumped at once (connections sharing its snapshot)', default: 2, min: 1, max: 16 }),
    'encrypt-to': encryptToFlag,
    verify: Flags.string({ description: 'deep: prove each new archive right away by restoring it into a scratch schema (backup verify --deep)', options: ['deep'] }),
    'decrypt-key': decryptKeyFlag,
  }

  async run(): Promise<BackupCreateResult> {
    const { backupTenant, backupTenants } = await import('../../lib/backup/create.js')
    const { defaultBackupDir } = await import('../../lib/backup/format.js')
    const { checkLocation } = await import('../../lib/backup/store.js')
    const outDir = this.flags.out ?? (await defaultBackupDir())
    checkLocation(outDir, '--out')
    const { concurrency, jobs } = this.flags
    const db = await this.db({ poolMax: concurrency * jobs + 1 })
    const recipients = recipientFiles(this.flags['encrypt-to'])
    const encryptTo = recipients && (await (await import('../../lib/backup/encryption.js')).loadRecipients(recipients))
    const options = { outDir, jobs, encryptTo, toolVersion: this.config.version, onWarning: (m: string) => this.warning(m) }
    const started = performance.now()
    let rows: BackupCreateRow[]
    if (this.flags['all-tenants']) {
      const { selectTenants } = await import('../../lib/tenants/selection.js')
      const tenants = await selectTenants(db, { all: true })
      const progress = await this.progress(`Backing up ${tenants.length} tenant(s)`)
      const outcomes = await backupTenants(db, tenants, {
        ...options,
        concurrency,
        onTenantDone: (o, n) => progress.update(`Backing up tenants: ${n}/${tenants.length} (${o.tenant} ${o.ok ? 'ok' : 'failed'})`),
      })
      progress.stop()
      rows = outcomes.map((o) => (o.ok ? toRow(o.result!) : { tenant: o.tenant, status: 'failed', error: o.error, durationMs: o.durationMs }))
    } else {
      const slug = await this.tenantSlug(this.flags.tenant)
      const progress = await this.progress(`Backing up ${slug}`)
      try {
        rows = [toRow(await backupTenant(db, slug, options))]
      } finally {
        progress.stop()
      }
    }
    if (this.flags.verify === 'deep') {
      const { deepVerifyFiles } = await import('../../lib/backup/deep-verify.js')
      const { loadDecryptionKey } = await import('../../lib/backup/encryption.js')
      const decryptionKey = await loadDecryptionKey(this.flags['decrypt-key'])
      const done = rows.filter((r) => r.status === 'ok')
      const progress = await this.progress(`Verifying ${done.length} archive(s) deeply`)
      const outcomes = await deepVerifyFiles(db, done.map((r) => r.file!), { decryptionKey })
      progress.stop()
      done.forEach((row, i) => {
        row.deepVerify = outcomes[i]
        if (outcomes[i].status !== 'ok') this.note(`Deep verification of the backup of ${row.tenant} failed (${outcomes[i].status}): ${outcomes[i].error}`)
      })
      if (outcomes.some((o) => o.status !== 'ok')) this.exitStatus = ExitCode.FAILURE
    }
    const failed = rows.filter((r) => r.status === 'failed')
    for (const row of failed) this.note(`Backup of tenant ${row.tenant} failed: ${row.error}`)
    if (failed.length) this.exitStatus = ExitCode.FAILURE
    if (rows.some((r) => r.signed === false)) {
      this.warning("The archive is not signed: a tenant login does not hold the registry's signing key. Restoring it takes --trust-unsigned.")
    }
    const ok = rows.filter((r) => r.status === 'ok')
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const size = humanBytes(ok.reduce((n, r) => n + (r.bytes ?? 0), 0))
    const total = ok.reduce((n, r) => n + (r.rows ?? 0), 0)
    this.log(
      rows.length === 1 && ok.length === 1
        ? `Backed up ${ok[0].tenant}: ${ok[0].tables} tables, ${ok[0].rows} rows, ${size} in ${seconds}s -> ${ok[0].file}`
        : `Backed up ${ok.length} of ${rows.length} tenant(s): ${total} rows, ${size} in ${seconds}s -> ${outDir}${failed.length ? ` (${failed.length} failed)` : ''}`,
    )
    return { outDir, tenants: rows, failed: failed.length }
  }
}

function toRow(r: BackupResult): BackupCreateRow {
  return { tenant: r.tenant, status: 'ok', file: r.file, bytes: r.bytes, tables: r.tables, rows: r.rows, version: r.version, signed: r.signed, encryptedTo: r.encryptedTo, durationMs: r.durationMs }
}
