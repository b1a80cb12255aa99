import { BaseCommand } from '../lib/cli/base-command.js'
import { listResult, type ListResult } from '../lib/cli/list-result.js'
import { ExitCode } from '../lib/cli/exit-codes.js'
import { listFlags } from '../lib/cli/list-flags.js'
import type { Column } from '../lib/cli/render.js'
import { runChecks, type Check } from '../lib/doctor/checks.js'

export type DoctorResult = ListResult<Check>

const COLUMNS: Column<Check>[] = [{ key: 'check' }, { key: 'status' }, { key: 'detail' }, { key: 'action' }]

export default class Doctor extends BaseCommand<typeof Doctor> {
  static summary = 'Check the connection, server, migrations and credential store'
  static description = 'Exits 1 when something needs attention (a warning or a failure), so it fits a monitoring script.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = { ...listFlags }

  async run(): Promise<DoctorResult> {
    const checks = await runChecks(() => this.db({ skipRegistryUpgrade: true }))
    if (checks.some((c) => c.status !== 'ok')) this.exitStatus = ExitCode.FAILURE
    this.printList(checks, COLUMNS, '')
    return listResult(checks)
  }
}
