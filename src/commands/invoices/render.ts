import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { readLogo, writeInvoiceDocument, type RenderedDocument } from '../../lib/invoices/document.js'
import { invoiceArg } from '../../lib/cli/domains/orders.js'

export type InvoicesRenderResult = RenderedDocument

export default class InvoicesRender extends BaseCommand<typeof InvoicesRender> {
  static summary = 'Write an invoice or credit note as PDF or HTML'
  static description =
    'Seller (settings company.name, company.address, company.country, company.tax_id; the tenant\'s name by default) ' +
    'and buyer (billing address, the country by name), lines, taxes per rate, totals, payment terms, where to pay ' +
    '(company.bank_details) and what to quote (invoices.payment_reference). Prices show at the currency\'s scale; ' +
    'the Discount column only when a line has a discount, the tax columns only when there is tax. PDF and HTML show ' +
    'the same. Written to --out, by default <number>.<format> in the current directory; --out - writes to stdout.'
  static examples = [
    '<%= config.bin %> <%= command.id %> INV-2026-000123 --format pdf',
    '<%= config.bin %> <%= command.id %> 311 --format html --out invoice.html',
    '<%= config.bin %> <%= command.id %> INV-2026-000123 --logo ./logo.png',
  ]
  static args = { invoice: Args.string(invoiceArg) }
  static flags = {
    tenant: tenantFlag,
    format: Flags.string({ description: 'Document format', options: ['pdf', 'html'], default: 'pdf' }),
    out: Flags.string({ char: 'o', description: 'File to write (- for stdout)' }),
    logo: Flags.string({ description: 'A PNG or JPEG image (at most 2 MB) printed at the top right', helpValue: '<file>' }),
  }

  async run(): Promise<InvoicesRenderResult> {
    const format = this.flags.format as 'pdf' | 'html'
    if (this.flags.out === '-' && this.jsonEnabled()) throw usageError('--out - writes the document to stdout, where --json writes its envelope: give a file name')
    const logo = this.flags.logo === undefined ? undefined : await readLogo(this.flags.logo)
    const result = await this.inTenant(
      (trx, tenant) => writeInvoiceDocument(trx, { invoice: this.args.invoice, format, out: this.flags.out, sellerName: tenant.name, logo }),
      { access: 'read' },
    )
    if (result.path !== '-') this.note(`Wrote ${result.path} (${result.bytes} bytes)`)
    return result
  }
}
