import { importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportUsersResult = ImportSummary | ImportTemplate

export default class ImportUsers extends ImportCommand<typeof ImportUsers> {
  static summary = "Import the tenant's users from a CSV file or a workbook (.xlsx, .ods)"
  static description =
    'Columns: email (the key, case-insensitive), name, role (admin, manager, clerk, viewer), disabled (true/false). ' +
    'There is no password column: passwords never travel in a spreadsheet. New users have no password until one is set ' +
    'with erp users reset-password. Every row is checked; any invalid row stops the import and nothing is written.'
  static examples = ['<%= config.bin %> <%= command.id %> users.csv --tenant acme --mode upsert']
  static flags = importFlags

  async run(): Promise<ImportUsersResult> {
    const { usersSpec } = await import('../../lib/importer/users.js')
    return this.importWith(usersSpec, {})
  }
}
