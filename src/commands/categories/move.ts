import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { moveCategory, type MovedCategory } from '../../lib/catalog/categories.js'

export type CategoriesMoveResult = MovedCategory

export default class CategoriesMove extends BaseCommand<typeof CategoriesMove> {
  static summary = 'Move or rename a category, with everything under it'
  static description =
    'The category keeps its products and sub-categories; their paths follow. --to / moves it to the top ' +
    'level. A category cannot move under itself, nor onto a path that exists.'
  static examples = [
    '<%= config.bin %> <%= command.id %> Hardware/Fasteners --to Tools',
    '<%= config.bin %> <%= command.id %> Tools/Fasteners --name Fixings',
    '<%= config.bin %> <%= command.id %> Tools/Fixings --to / --json',
  ]
  static audited = true
  static args = { path: Args.string({ description: 'Path of the category to move', required: true }) }
  static flags = {
    tenant: tenantFlag,
    to: Flags.string({ description: 'Path of the new parent; / for the top level', helpValue: '<path>' }),
    name: Flags.string({ description: 'New name for the category' }),
  }

  async run(): Promise<CategoriesMoveResult> {
    const outcome = await this.inTenant((trx) =>
      moveCategory(trx, { path: this.args.path, to: this.flags.to, name: this.flags.name }),
    )
    this.log(outcome.moved === 0
      ? `Category ${outcome.from} is already there.`
      : `Moved ${outcome.from} to ${outcome.category.path} (${outcome.moved} categories).`)
    return outcome
  }
}
