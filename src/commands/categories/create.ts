import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { createCategory, type CreatedCategories } from '../../lib/catalog/categories.js'

export type CategoriesCreateResult = CreatedCategories

export default class CategoriesCreate extends BaseCommand<typeof CategoriesCreate> {
  static summary = 'Create a category'
  static description =
    'Give the full path ("Hardware/Fasteners") or a name with --parent. The parent must exist unless ' +
    '--parents is given, which creates the missing ones too. A "/" inside a name is written \\/ ("Food/Grains\\/Cereals").'
  static examples = [
    '<%= config.bin %> <%= command.id %> Hardware',
    '<%= config.bin %> <%= command.id %> Hardware/Fasteners/Bolts --parents',
    '<%= config.bin %> <%= command.id %> Screws --parent Hardware/Fasteners --json',
    '<%= config.bin %> <%= command.id %> "Grains\\/Cereals" --parent Food --description "Bread, cereals, pasta"',
  ]
  static audited = true
  static args = { path: Args.string({ description: 'Category path, or its name with --parent', required: true }) }
  static flags = {
    tenant: tenantFlag,
    parent: Flags.string({ description: 'Path of the parent category', helpValue: '<path>' }),
    parents: Flags.boolean({ char: 'p', description: 'Create missing parent categories as well' }),
    description: Flags.string({ description: 'What the category holds', helpValue: '<text>' }),
  }

  async run(): Promise<CategoriesCreateResult> {
    const outcome = await this.inTenant((trx) =>
      createCategory(trx, { path: this.args.path, parent: this.flags.parent, parents: this.flags.parents, description: this.flags.description }),
    )
    for (const category of outcome.created) this.log(`Created category ${category.path}`)
    return outcome
  }
}
