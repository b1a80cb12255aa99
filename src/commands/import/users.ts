import { BaseCommand } from '../../lib/cli/base-command.js'
import { dryRunFlag, tenantFlag } from '../../lib/cli/flags.js'
import { importArgs, importFlags, importInputFrom, summaryRecord } from '../../lib/importer/cli.js'
import type { ImportSummary } from '../../lib/importer/run.js'

export type ImportUsersResult = ImportSummary

export default class ImportUsers extends BaseCommand<typeof ImportUsers> {
  static summary = "Import the tenant's users from a CSV file"
  static description =
    'Columns: email (the key, case-insensitive), name, role (admin, manager, clerk, viewer), disabled (true/false). ' +
    'There is no password column: passwords never travel in a spreadsheet. New users have no password until one is set ' +
    'with erp users reset-password. Every row is checked; any invalid row stops the import and nothing is written.'
  static examples = ['<%= config.bin %> <%= command.id %> users.csv --tenant acme --mode upsert']
  static audited = true
  static args = importArgs
  static flags = { tenant: tenantFlag, ...importFlags, 'dry-run': dryRunFlag }

  async run(): Promise<ImportUsersResult> {
    const { importCsv } = await import('../../lib/importer/run.js')
    const { usersSpec } = await import('../../lib/importer/users.js')
    const progress = await this.progress('Importing…')
    const input = importInputFrom(this.args.file, this.flags, progress, (sha256) => (this.auditDetails.sha256 = sha256))
    const summary = await this.inTenant((trx) => importCsv(trx, usersSpec, input, {})).finally(() => progress.stop())
    if (summary.rejected > 0) {
      this.warning(`${summary.rejected} row(s) rejected${summary.errorsFile ? ` (see ${summary.errorsFile})` : ''}`)
      this.exitStatus = 1
    }
    this.printRecord(summaryRecord(summary))
    return summary
  }
}
