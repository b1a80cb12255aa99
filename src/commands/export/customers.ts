import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/cli/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportCustomersResult = ExportSummary

export default class ExportCustomers extends BaseCommand<typeof ExportCustomers> {
  static summary = 'Export customers as CSV that erp import customers takes back unchanged'
  static description =
    'Archived customers are left out. One row per customer with its group code and its default billing and ' +
    'shipping address. Text that a spreadsheet would run as a formula gets a leading quote; import removes it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output customers.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > customers.csv',
  ]
  static flags = {
    tenant: tenantFlag,
    output: Flags.string({ char: 'o', description: 'File to write (stdout by default)', helpValue: '<file.csv>' }),
  }

  async run(): Promise<ExportCustomersResult> {
    if (this.jsonEnabled() && !this.flags.output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../lib/importer/export.js')
    const { exportCustomersSql } = await import('../../lib/importer/customers.js')
    const summary = await this.inTenant(
      (trx) => exportCsv(trx, 'customers', exportCustomersSql(), { output: this.flags.output ?? process.stdout }),
      { access: 'read' },
    )
    if (summary.file) this.note(`Exported ${summary.rows} customer(s) to ${summary.file}.`)
    return summary
  }
}
