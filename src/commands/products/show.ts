import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { productRecord } from '../../lib/cli/domains/catalog.js'
import { getProduct, type Product } from '../../lib/catalog/products.js'

export type ProductsShowResult = Product

export default class ProductsShow extends BaseCommand<typeof ProductsShow> {
  static summary = 'Show one product'
  static description = 'Archived products are shown too (with the time they were archived).'
  static examples = ['<%= config.bin %> <%= command.id %> BOLT-M8', '<%= config.bin %> <%= command.id %> BOLT-M8 --json']
  static args = { sku: Args.string({ description: 'SKU of the product', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<ProductsShowResult> {
    const product = await this.inTenant((trx) => getProduct(trx, this.args.sku), { access: 'read' })
    this.printRecord(productRecord(product))
    return product
  }
}
