import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { parseAttributeAssignments } from '../../lib/catalog/attributes.js'
import { PRODUCT_COLUMNS } from '../../lib/cli/domains/catalog.js'
import { DEFAULT_PAGE, listProducts, MAX_PAGE, type ProductPage } from '../../lib/catalog/products.js'
import { usageError } from '../../lib/errors.js'

export type ProductsListResult = ProductPage

export default class ProductsList extends BaseCommand<typeof ProductsList> {
  static summary = 'List products, a page at a time'
  static description =
    'Products in id order, filtered on the server: --category takes a category path and includes its ' +
    'sub-categories; --attr code=value (repeatable) matches attribute values; --search matches the start of ' +
    'the SKU or of the name, ignoring case. Archived products are left out unless --archived. ' +
    'When more products match, the cursor for the next page is printed on stderr (and is result.nextCursor ' +
    'in --json): pass it to --after. --after also takes a SKU (a SKU made of digits only is read as an id).'
  static examples = [
    '<%= config.bin %> <%= command.id %> --category Hardware --attr color=red',
    '<%= config.bin %> <%= command.id %> --search bolt --active --limit 200 --output csv',
    '<%= config.bin %> <%= command.id %> --category Hardware --after 18342 --json',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    category: Flags.string({ char: 'c', description: 'Category path; sub-categories included', helpValue: '<path>' }),
    attr: Flags.string({ description: 'Attribute filter code=value; repeat to combine (AND)', multiple: true, helpValue: '<code=value>' }),
    active: Flags.boolean({ description: 'Active products only', exclusive: ['inactive'] }),
    inactive: Flags.boolean({ description: 'Inactive products only', exclusive: ['active'] }),
    search: Flags.string({ char: 's', description: 'Start of the SKU or name (case-insensitive)' }),
    archived: Flags.boolean({ description: 'Archived products only' }),
    limit: Flags.integer({ char: 'l', description: 'Products per page', default: DEFAULT_PAGE, min: 1, max: MAX_PAGE }),
    after: Flags.string({ description: 'Cursor printed by the previous page (or a SKU)', helpValue: '<cursor>' }),
  }

  async run(): Promise<ProductsListResult> {
    const { flags } = this
    const attributes = parseAttributeAssignments(flags.attr)
    const empty = Object.entries(attributes ?? {}).find(([, v]) => v === null)
    if (empty) throw usageError(`--attr ${empty[0]}= has no value to filter on`)
    const page = await this.inTenant(
      (trx) =>
        listProducts(trx, {
          category: flags.category,
          attributes: attributes as Record<string, string> | undefined,
          active: flags.active ? true : flags.inactive ? false : undefined,
          search: flags.search,
          archived: flags.archived,
          limit: flags.limit,
          after: flags.after,
        }),
      { access: 'read' },
    )
    this.printList(page.items, PRODUCT_COLUMNS, 'No products match.')
    if (page.nextCursor) this.note(`More products: --after ${page.nextCursor}`)
    return page
  }
}
