import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { COUNT_COLUMNS, describeCountTotals } from '../../lib/cli/domains/stock-columns.js'
import { warehouseFlag } from '../../lib/cli/domains/stock-flags.js'
import { reconcileCount, type ReconcileResult } from '../../lib/stock/reconcile.js'

export type StockReconcileResult = ReconcileResult

export default class StockReconcile extends BaseCommand<typeof StockReconcile> {
  static summary = 'Compare a physical count with the system, and apply the differences'
  static description =
    'The count file is a CSV with a header: sku, location, lot (lot or serial number; may be left out), counted. ' +
    'Delimiter , ; or tab is detected; a BOM and quoted fields are fine; with ; quantities are read with a decimal comma (6,5; a point is then refused, since 1.234 could be 1234: --no-decimal-comma reads points), with , or tab with a point (--decimal-comma reads commas). ' +
    'Locations are WH1/A-01, or WH1 for the default location; with --warehouse, bare codes are locations in it.\n\n' +
    'Without --apply this is a dry run: it prints per line the system and counted quantities, the difference and its ' +
    'value at cost, for the lines with a difference or a problem (--all: every line), with totals over all lines. --apply posts one count adjustment per difference, all in one transaction, tagged ' +
    'with --reference; a file is applied once (recorded by checksum). Invalid lines (unknown SKU or location, bad ' +
    'numbers, missing lot...) are reported with their line numbers and exit 65, and nothing is applied unless --skip-invalid.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --counts count-2026-11.csv --warehouse WH1',
    '<%= config.bin %> <%= command.id %> --counts count-2026-11.csv --warehouse WH1 --all --output csv > count-report.csv',
    '<%= config.bin %> <%= command.id %> --counts count-2026-11.csv --warehouse WH1 --apply --reference INV-2026-11',
    '<%= config.bin %> <%= command.id %> --counts count.csv --apply --skip-invalid --json',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    counts: Flags.string({ char: 'c', description: 'The count file (CSV)', required: true }),
    warehouse: warehouseFlag(),
    apply: Flags.boolean({ description: 'Post the differences (without it: a dry run)' }),
    'dry-run': Flags.boolean({ description: 'Report only, change nothing (the default)', exclusive: ['apply'] }),
    'skip-invalid': Flags.boolean({ description: 'Apply the valid lines even when some are invalid' }),
    reference: Flags.string({ char: 'r', description: 'Reference of the count moves (COUNT-<date>-<checksum> by default)' }),
    all: Flags.boolean({ description: 'List every line, matching ones included (by default: differences and problems)' }),
    'decimal-comma': Flags.boolean({
      description: 'Counted quantities are written with a comma (6,5); a point is then refused, as 1.234 could be 1234. Default: yes for a ;-delimited file, no otherwise (the rule of erp import)',
      allowNo: true,
    }),
  }

  async run(): Promise<StockReconcileResult> {
    const f = this.flags
    const result = await this.inTenant((trx) =>
      reconcileCount(trx, {
        file: f.counts, warehouse: f.warehouse, apply: f.apply, skipInvalid: f['skip-invalid'],
        reference: f.reference, allLines: f.all, decimalComma: f['decimal-comma'],
      }),
    )
    this.printList(result.lines, COUNT_COLUMNS, f.all ? 'The count file has no lines.' : 'No differences.')
    const summary = describeCountTotals(result)
    // Totals under a table; on stderr when stdout carries CSV or JSON rows for a script.
    for (const line of summary) (f.output === 'table' ? this.log(line) : this.note(line))
    if (result.appliedBefore && !result.applied) {
      this.warning(`This file was already applied on ${result.appliedBefore.at.toISOString()} as ${result.appliedBefore.reference}.`)
    }
    if (result.totals.invalid > 0) {
      if (f['skip-invalid']) this.warning(`${result.totals.invalid} invalid lines skipped.`)
      else this.exitStatus = ExitCode.DATA_ERR
    }
    return result
  }
}
