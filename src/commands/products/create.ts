import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { parseAttributeAssignments } from '../../lib/catalog/attributes.js'
import { productFieldFlags, productFieldsFrom, productRecord } from '../../lib/cli/domains/catalog.js'
import { createProduct, type Product } from '../../lib/catalog/products.js'

export type ProductsCreateResult = Product

export default class ProductsCreate extends BaseCommand<typeof ProductsCreate> {
  static summary = 'Create a product'
  static description =
    'The SKU must be unique, and so must the barcode when given. Attribute values are checked against the ' +
    'attribute definitions (erp attributes list): unknown attributes, values of the wrong type and values ' +
    'outside an enum are refused. Every problem is reported at once and nothing is written.'
  static examples = [
    '<%= config.bin %> <%= command.id %> BOLT-M8 --name "Hex bolt M8" --category Hardware/Fasteners --weight 0.012 --attr color=steel',
    '<%= config.bin %> <%= command.id %> CABLE-3M --name "Cable 3 m" --uom m --tracking lot --cost 1.2500 --json',
  ]
  static audited = true
  static args = { sku: Args.string({ description: 'Stock keeping unit, unique', required: true }) }
  static flags = {
    tenant: tenantFlag,
    ...productFieldFlags,
    name: Flags.string({ char: 'n', description: 'Product name', required: true }),
    inactive: Flags.boolean({ description: 'Create it inactive (not for sale)' }),
  }

  async run(): Promise<ProductsCreateResult> {
    const fields = productFieldsFrom(this.flags, parseAttributeAssignments(this.flags.attr))
    const product = await this.inTenant((trx) =>
      createProduct(trx, { ...fields, sku: this.args.sku, name: this.flags.name, active: this.flags.inactive ? false : undefined }),
    )
    this.note(`Created product ${product.sku}.`)
    this.printRecord(productRecord(product))
    return product
  }
}
