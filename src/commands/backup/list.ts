import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { ARCHIVE_COLUMNS } from '../../lib/cli/domains/backup-columns.js'
import type { ArchiveInfo } from '../../lib/backup/catalog.js'

export type BackupListResult = ListResult<ArchiveInfo>

export default class BackupList extends BaseCommand<typeof BackupList> {
  static summary = 'List the archives in a backup folder or S3 prefix'
  static description =
    "Newest first, with tenant, time, size, rows and how far each was checked: 'whole' (manifest and trailer present, read in a " +
    "glance), 'verified' (--verify: every checksum read), 'damaged', or 'partial' (a backup running now, or killed). No database needed."
  static examples = [
    '<%= config.bin %> <%= command.id %> --dir /var/backups/erp',
    '<%= config.bin %> <%= command.id %> --dir /var/backups/erp --verify --filter tenant==acme',
    '<%= config.bin %> <%= command.id %> --dir s3://acme-backups/erp/nightly',
  ]
  static flags = {
    ...listFlags,
    dir: Flags.string({ char: 'd', description: 'The backup folder or s3://bucket/prefix (ERP_BACKUP_DIR, or backups/ in the data folder)', helpValue: '<dir|s3://bucket/prefix>', env: 'ERP_BACKUP_DIR' }),
    verify: Flags.boolean({ description: 'Read every archive whole and check all checksums (slower)' }),
  }

  async run(): Promise<BackupListResult> {
    const { listArchives } = await import('../../lib/backup/catalog.js')
    const { defaultBackupDir } = await import('../../lib/backup/format.js')
    const archives = await listArchives(this.flags.dir ?? (await defaultBackupDir()), { verify: this.flags.verify })
    this.printList(archives, ARCHIVE_COLUMNS, 'No archives in this folder.')
    return listResult(archives)
  }
}
