import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { dryRunFlag, yesFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { confirmOrFail } from '../../lib/cli/prompts.js'
import type { Column } from '../../lib/cli/render.js'
import { purgeDeleted, type PurgeOutcome } from '../../lib/tenants/deletion.js'

export interface TenantsPurgeDeletedResult {
  dryRun: boolean
  tenants: PurgeOutcome[]
}

const COLUMNS: Column<PurgeOutcome>[] = [
  { key: 'slug' },
  { key: 'schema' },
  { key: 'deletedAt' },
  { key: 'purgeAfter' },
  { key: 'purged' },
  { key: 'error' },
]

export default class TenantsPurgeDeleted extends BaseCommand<typeof TenantsPurgeDeleted> {
  static summary = 'Drop deleted tenants whose grace period is over'
  static description =
    'Each one loses its schema, its roles and its registry row, in a transaction of its own; a tenant undeleted in the ' +
    'meantime is left alone. Cron-friendly: --yes skips the confirmation, --dry-run only lists what is due.'
  static examples = ['<%= config.bin %> <%= command.id %> --dry-run', '<%= config.bin %> <%= command.id %> --yes --json']
  static audited = true
  static flags = { ...listFlags, 'dry-run': dryRunFlag, yes: yesFlag }

  async run(): Promise<TenantsPurgeDeletedResult> {
    const db = await this.db()
    const dryRun = this.flags['dry-run']
    if (!dryRun) await confirmOrFail('Drop every deleted tenant past its grace period, for good?', { yes: this.flags.yes })
    const tenants = await purgeDeleted(db, { dryRun })
    if (tenants.some((t) => t.error)) this.exitStatus = ExitCode.FAILURE
    this.printList(tenants, COLUMNS, 'No deleted tenant is past its grace period.')
    this.note(dryRun ? `${tenants.length} tenant(s) would be purged.` : `${tenants.filter((t) => t.purged).length} tenant(s) purged.`)
    return { dryRun, tenants }
  }
}
