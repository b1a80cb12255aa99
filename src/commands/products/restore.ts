import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setProductArchived, type ArchiveOutcome } from '../../lib/catalog/products.js'

export type ProductsRestoreResult = ArchiveOutcome

export default class ProductsRestore extends BaseCommand<typeof ProductsRestore> {
  static summary = 'Restore an archived product'
  static description = 'The product shows in lists again and can be changed. Restoring a product that is not archived changes nothing.'
  static examples = ['<%= config.bin %> <%= command.id %> BOLT-M8', '<%= config.bin %> <%= command.id %> BOLT-M8 --json']
  static audited = true
  static args = { sku: Args.string({ description: 'SKU of the product', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<ProductsRestoreResult> {
    const outcome = await this.inTenant((trx) => setProductArchived(trx, this.args.sku, false))
    this.log(outcome.changed ? `Restored product ${outcome.product.sku}.` : `Product ${outcome.product.sku} was already restored.`)
    return outcome
  }
}
