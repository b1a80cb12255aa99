import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { dryRunFlag, yesFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import { humanBytes, PRUNE_COLUMNS } from '../../lib/cli/domains/backup-columns.js'
import type { PruneResult } from '../../lib/backup/catalog.js'

export type BackupPruneResult = PruneResult

const keep = (period: string) => Flags.integer({ description: `Keep the newest archive of each of the last N ${period} that have one`, min: 0, helpValue: '<n>' })

export default class BackupPrune extends BaseCommand<typeof BackupPrune> {
  static summary = 'Delete old archives by a daily/weekly/monthly retention policy'
  static description =
    'Per tenant, keeps the newest archive of each of the last N days, ISO weeks and months (UTC) that have archives, and always the ' +
    'newest archive that passes a full verification, whatever the policy. Damaged archives are left alone and reported. Leftovers of ' +
    'killed backups older than a day are removed. Prints a one-line summary (and the plan on a terminal or with --dry-run).'
  static examples = [
    '<%= config.bin %> <%= command.id %> --dir /var/backups/erp --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run',
    '<%= config.bin %> <%= command.id %> --dir /var/backups/erp --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --yes',
    '<%= config.bin %> <%= command.id %> --dir s3://acme-backups/erp/nightly --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --yes',
  ]
  static flags = {
    ...listFlags,
    dir: Flags.string({ char: 'd', description: 'The backup folder or s3://bucket/prefix (ERP_BACKUP_DIR, or backups/ in the data folder)', helpValue: '<dir|s3://bucket/prefix>', env: 'ERP_BACKUP_DIR' }),
    'keep-daily': keep('days'),
    'keep-weekly': keep('weeks'),
    'keep-monthly': keep('months'),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  async run(): Promise<BackupPruneResult> {
    const { pruneArchives } = await import('../../lib/backup/catalog.js')
    const { defaultBackupDir } = await import('../../lib/backup/format.js')
    const { 'keep-daily': daily, 'keep-weekly': weekly, 'keep-monthly': monthly, 'dry-run': dryRun } = this.flags
    if (daily === undefined && weekly === undefined && monthly === undefined) {
      throw usageError('Say what to keep: --keep-daily, --keep-weekly and/or --keep-monthly', {
        actions: ['Example: erp backup prune --keep-daily 7 --keep-weekly 4 --keep-monthly 12'],
      })
    }
    const dir = this.flags.dir ?? (await defaultBackupDir())
    const policy = { daily: daily ?? 0, weekly: weekly ?? 0, monthly: monthly ?? 0 }
    if (!dryRun) await confirmOrFail(`Delete the archives in ${dir} that the policy does not keep?`, { yes: this.flags.yes })
    const result = await pruneArchives(dir, policy, { dryRun })
    if (dryRun || this.interactive) this.printList(result.entries, PRUNE_COLUMNS, 'No archives in this folder.')
    const left = result.entries.filter((e) => e.action === 'leave').length
    this.log(
      `${dryRun ? 'Would delete' : 'Deleted'} ${result.deleted} archive(s) (${humanBytes(result.freedBytes)}), kept ${result.kept}` +
        `${left ? `, left ${left} damaged one(s) alone` : ''}.`,
    )
    return result
  }
}
