import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportCustomersResult = ExportSummary

export default class ExportCustomers extends ExportCommand<typeof ExportCustomers> {
  static summary = 'Export customers as CSV that erp import customers takes back unchanged'
  static description =
    'Archived customers are left out. One row per customer with its group code and its default billing and ' +
    'shipping address. Text that a spreadsheet would run as a formula gets a leading quote; import removes it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output customers.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > customers.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportCustomersResult> {
    const { exportCustomersSql } = await import('../../lib/importer/customers.js')
    return this.exportWith('customers', 'customer', () => exportCustomersSql())
  }
}
