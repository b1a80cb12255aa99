import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setProductArchived, type ArchiveOutcome } from '../../lib/catalog/products.js'

export type ProductsArchiveResult = ArchiveOutcome

export default class ProductsArchive extends BaseCommand<typeof ProductsArchive> {
  static summary = 'Archive a product: hidden from lists, no longer changeable'
  static description = 'Reversible with erp products restore. Archiving an archived product changes nothing.'
  static examples = ['<%= config.bin %> <%= command.id %> BOLT-M8', '<%= config.bin %> <%= command.id %> BOLT-M8 --json']
  static audited = true
  static args = { sku: Args.string({ description: 'SKU of the product', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<ProductsArchiveResult> {
    const outcome = await this.inTenant((trx) => setProductArchived(trx, this.args.sku, true))
    this.log(outcome.changed ? `Archived product ${outcome.product.sku}.` : `Product ${outcome.product.sku} was already archived.`)
    return outcome
  }
}
