import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportUsersResult = ExportSummary

export default class ExportUsers extends ExportCommand<typeof ExportUsers> {
  static summary = "Export the tenant's users as CSV that erp import users takes back unchanged"
  static description =
    'Columns: email, name, role, disabled. Password hashes are never exported.'
  static examples = ['<%= config.bin %> <%= command.id %> --tenant acme --output users.csv']
  static flags = exportFlags

  async run(): Promise<ExportUsersResult> {
    const { exportUsersSql } = await import('../../lib/importer/users.js')
    return this.exportWith('users', 'user', () => exportUsersSql())
  }
}
