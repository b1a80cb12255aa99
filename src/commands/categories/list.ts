import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { CATEGORY_COLUMNS } from '../../lib/cli/domains/catalog.js'
import { listCategories, type Category } from '../../lib/catalog/categories.js'

export type CategoriesListResult = ListResult<Category>

export default class CategoriesList extends BaseCommand<typeof CategoriesList> {
  static summary = 'List categories as a tree, by path'
  static description = 'products counts the (not archived) products directly in each category.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --under Hardware --output csv',
  ]
  static flags = {
    tenant: tenantFlag,
    ...listFlags,
    under: Flags.string({ description: 'Only this category and those under it', helpValue: '<path>' }),
  }

  async run(): Promise<CategoriesListResult> {
    const categories = await this.inTenant((trx) => listCategories(trx, { under: this.flags.under }), { access: 'read' })
    this.printList(categories, CATEGORY_COLUMNS, 'No categories yet. Create one with: erp categories create <path>')
    return listResult(categories)
  }
}
