import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { usageError } from '../../lib/errors.js'
import { parseAttributeAssignments } from '../../lib/catalog/attributes.js'
import { productFieldFlags, productFieldsFrom, productRecord } from '../../lib/cli/domains/catalog.js'
import { updateProduct, type Product } from '../../lib/catalog/products.js'

export type ProductsUpdateResult = Product

const CLEARABLE = ['description', 'category', 'barcode', 'weight', 'cost'] as const

export default class ProductsUpdate extends BaseCommand<typeof ProductsUpdate> {
  static summary = 'Change a product'
  static description =
    'Only the flags given change. --attr code=value sets an attribute, --attr code= removes it; other ' +
    'attributes stay. --unset clears optional fields. Archived products cannot be changed (restore them first).'
  static examples = [
    '<%= config.bin %> <%= command.id %> BOLT-M8 --weight 0.013 --attr color=black',
    '<%= config.bin %> <%= command.id %> BOLT-M8 --inactive --unset barcode',
    '<%= config.bin %> <%= command.id %> BOLT-M8 --new-sku BOLT-M8-ZN --json',
  ]
  static audited = true
  static args = { sku: Args.string({ description: 'SKU of the product', required: true }) }
  static flags = {
    tenant: tenantFlag,
    ...productFieldFlags,
    'new-sku': Flags.string({ description: 'Give the product a new SKU' }),
    active: Flags.boolean({ description: 'Mark it active (for sale)', exclusive: ['inactive'] }),
    inactive: Flags.boolean({ description: 'Mark it inactive', exclusive: ['active'] }),
    unset: Flags.string({ description: 'Clear these fields', options: [...CLEARABLE], multiple: true, delimiter: ',' }),
  }

  async run(): Promise<ProductsUpdateResult> {
    const { flags } = this
    const fields = productFieldsFrom(flags, parseAttributeAssignments(flags.attr))
    for (const field of flags.unset ?? []) {
      if (flags[field as (typeof CLEARABLE)[number]] !== undefined) throw usageError(`--${field} and --unset ${field} contradict each other`)
      fields[field as (typeof CLEARABLE)[number]] = null
    }
    const active = flags.active ? true : flags.inactive ? false : undefined
    const product = await this.inTenant((trx) =>
      updateProduct(trx, { ...fields, active, sku: this.args.sku, newSku: flags['new-sku'] }),
    )
    this.note(`Updated product ${product.sku}.`)
    this.printRecord(productRecord(product))
    return product
  }
}
