import { Flags } from '@oclif/core'

import { importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportPaymentsResult = ImportSummary | ImportTemplate

// New payments only: no --mode.
const { mode: _mode, ...shared } = importFlags

export default class ImportPayments extends ImportCommand<typeof ImportPayments> {
  static summary = 'Import payments received from a CSV file or a workbook (.xlsx, .ods), as erp invoices pay records them'
  static description =
    'Columns: invoice (its number, INV-2026-000123, or ext:REF for the one invoice of the order with that external ' +
    'reference), amount, method (bank, card, cash…), date (YYYY-MM-DD, today when blank; not before the invoice ' +
    'was issued, not after today unless --allow-future-date) and reference (optional). Payments of one invoice add up in file order and may ' +
    'not exceed what is due; a credit note, a draft, a paid or void invoice is refused. The invoices are locked ' +
    'until the import commits. Any invalid row stops the import and nothing is written, unless --skip-invalid.'
  static examples = [
    '<%= config.bin %> <%= command.id %> payments.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> bank-2026-11.csv --dry-run --errors rejected.csv --batch-ref BANK-2026-11',
  ]
  static flags = {
    ...shared,
    'allow-future-date': Flags.boolean({ description: 'Accept payment dates after today (refused by default, as a likely typo)' }),
  }

  async run(): Promise<ImportPaymentsResult> {
    const { paymentsSpec } = await import('../../lib/importer/payments.js')
    return this.importWith(paymentsSpec, { allowFutureDate: this.flags['allow-future-date'] })
  }
}
