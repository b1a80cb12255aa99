import { bulkLoadFlag, importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportCustomersResult = ImportSummary | ImportTemplate

export default class ImportCustomers extends ImportCommand<typeof ImportCustomers> {
  static summary = 'Import customers (with their group and default addresses) from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns: code, name, email, phone, tax_id, credit_limit, payment_terms_days, group (a customer group code, ' +
    'which must exist), and billing_/shipping_ line1, line2, city, postal_code, region, country for the default ' +
    'billing and shipping address (an address with any cell filled must be complete). Every row is checked; by ' +
    'default any invalid row stops the import and nothing is written.'
  static examples = [
    '<%= config.bin %> <%= command.id %> customers.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> customers.csv --mode upsert --errors rejected.csv --dry-run',
    '<%= config.bin %> <%= command.id %> clients.xlsx --sheet 2 --errors rejected.csv --dry-run',
  ]
  static flags = { ...importFlags, 'bulk-load': bulkLoadFlag }

  async run(): Promise<ImportCustomersResult> {
    const { customersSpec } = await import('../../lib/importer/customers.js')
    return this.importWith(customersSpec, { bulkLoad: this.flags['bulk-load'] })
  }
}
