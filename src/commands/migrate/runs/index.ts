import { Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../../lib/cli/list-result.js'
import { listFlags } from '../../../lib/cli/list-flags.js'
import type { Column } from '../../../lib/cli/render.js'
import { listRuns, type RunSummary } from '../../../lib/tenants/run-record.js'

export type MigrateRunsResult = ListResult<RunSummary>

const COLUMNS: Column<RunSummary>[] = [
  { key: 'id', align: 'right' },
  { key: 'startedAt' },
  { key: 'status' },
  { key: 'succeeded', align: 'right' },
  { key: 'upToDate', align: 'right' },
  { key: 'failed', align: 'right' },
  { key: 'lockTimeout', align: 'right' },
  { key: 'notReached', align: 'right' },
  { key: 'resumedFrom' },
  { key: 'stopReason' },
]

export default class MigrateRuns extends BaseCommand<typeof MigrateRuns> {
  static summary = 'List recorded fleet migration runs, newest first'
  static description = 'Every `migrate latest --all-tenants` (and --retry-failed / --continue) run is recorded in the registry.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --limit 5 --json']
  static flags = {
    ...listFlags,
    limit: Flags.integer({ description: 'How many runs to show', default: 20, min: 1 }),
  }

  async run(): Promise<MigrateRunsResult> {
    const runs = await listRuns(await this.db(), this.flags.limit)
    this.printList(runs, COLUMNS, 'No migration runs recorded yet.')
    return listResult(runs)
  }
}
