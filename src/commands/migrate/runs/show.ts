import { Args } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { listFlags } from '../../../lib/cli/list-flags.js'
import type { Column } from '../../../lib/cli/render.js'
import { getRun, type RolloutItem, type RunDetail } from '../../../lib/tenants/run-record.js'

export type MigrateRunsShowResult = RunDetail

const COLUMNS: Column<RolloutItem>[] = [
  { key: 'tenant' },
  { key: 'wave', align: 'right' },
  { key: 'state' },
  { key: 'attempts', align: 'right' },
  { key: 'lockTimeouts', align: 'right' },
  { key: 'applied', get: (r) => (r.applied.length ? r.applied.join(' ') : '-') },
  { key: 'doneBy', align: 'right' },
  { key: 'error' },
  { key: 'durationMs', align: 'right' },
]

export default class MigrateRunsShow extends BaseCommand<typeof MigrateRunsShow> {
  static summary = 'Show one recorded migration run, tenant by tenant'
  static description = 'Without an id, the latest run. Tenants that had nothing pending are counted, not listed.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> 12 --filter state=failed']
  static args = { id: Args.integer({ description: 'Run id (default: the latest)', required: false }) }
  static flags = { ...listFlags }

  async run(): Promise<MigrateRunsShowResult> {
    const run = await getRun(await this.db(), this.args.id)
    const { items, options, ...summary } = run
    this.printRecord({ ...summary, options: JSON.stringify(options) })
    this.printList(items, COLUMNS, 'No tenant had anything pending in this run.')
    return run
  }
}
