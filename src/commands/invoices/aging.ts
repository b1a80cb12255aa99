import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { agingReport, type AgingReport } from '../../lib/invoices/reports.js'
import { AGING_COLUMNS, dateFlag } from '../../lib/cli/domains/orders.js'

export type InvoicesAgingResult = AgingReport

export default class InvoicesAging extends BaseCommand<typeof InvoicesAging> {
  static summary = 'Receivables per customer by age: 0-30, 31-60, 61-90 and 90+ days'
  static description =
    'What is still due on issued invoices, by days since the invoice date as of --as-of (today by default), per ' +
    'customer and currency. Credits from returns not yet settled are shown apart and lower the total. As of a ' +
    'past day it is what stood then: invoices issued by that day, less the payments dated on or before it; ' +
    'an invoice voided later (its credit note dated after the day) is still due.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --as-of 2026-12-31 --output csv']
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    'as-of': dateFlag('Age as of this date (today by default)'),
    customer: Flags.string({ char: 'c', description: 'Only this customer' }),
  }

  async run(): Promise<InvoicesAgingResult> {
    const report = await this.inTenant((trx) => agingReport(trx, { asOf: this.flags['as-of'], customer: this.flags.customer }), { access: 'read' })
    this.printList(report.rows, AGING_COLUMNS, 'Nothing is due.')
    if (!this.jsonEnabled()) for (const [currency, t] of Object.entries(report.totals)) this.note(`Total ${currency}: 0-30 ${t.d0_30} · 31-60 ${t.d31_60} · 61-90 ${t.d61_90} · 90+ ${t.d90_plus} · credits ${t.credits} · ${t.total}`)
    return report
  }
}
