import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/cli/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportUsersResult = ExportSummary

export default class ExportUsers extends BaseCommand<typeof ExportUsers> {
  static summary = "Export the tenant's users as CSV that erp import users takes back unchanged"
  static description =
    'Columns: email, name, role, disabled. Password hashes are never exported.'
  static examples = ['<%= config.bin %> <%= command.id %> --tenant acme --output users.csv']
  static flags = {
    tenant: tenantFlag,
    output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
  }

  async run(): Promise<ExportUsersResult> {
    if (this.jsonEnabled() && !this.flags.output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../lib/importer/export.js')
    const { exportUsersSql } = await import('../../lib/importer/users.js')
    const summary = await this.inTenant(
      (trx) => exportCsv(trx, 'users', exportUsersSql(), { output: this.flags.output ?? process.stdout }),
      { access: 'read' },
    )
    if (summary.file) this.note(`Exported ${summary.rows} user(s) to ${summary.file}.`)
    return summary
  }
}
