import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportPaymentsResult = ExportSummary

export default class ExportPayments extends ExportCommand<typeof ExportPayments> {
  static summary = 'Export payments as CSV that erp import payments takes back unchanged'
  static description =
    'One row per payment, in the order they were recorded: invoice (number), amount, method, date, reference. ' +
    'Imported into a tenant with the same invoices and exported there, the file comes out the same.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output payments.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > payments.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportPaymentsResult> {
    const { exportPaymentsSql } = await import('../../lib/importer/payments.js')
    return this.exportWith('payments', 'payment', () => exportPaymentsSql())
  }
}
