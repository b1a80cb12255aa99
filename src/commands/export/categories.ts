import { exportFlags } from '../../lib/cli/domains/importer.js'
import { ExportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ExportSummary } from '../../lib/importer/export.js'

export type ExportCategoriesResult = ExportSummary

export default class ExportCategories extends ExportCommand<typeof ExportCategories> {
  static summary = 'Export the category tree as CSV that erp import categories takes back unchanged'
  static description =
    'Columns: path (a "/" inside a name written \\/) and description, parents before their children. Text that a ' +
    'spreadsheet would run as a formula gets a leading quote; import removes it.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --output categories.csv',
    '<%= config.bin %> <%= command.id %> --tenant acme > categories.csv',
  ]
  static flags = exportFlags

  async run(): Promise<ExportCategoriesResult> {
    const { exportCategoriesSql } = await import('../../lib/importer/categories.js')
    return this.exportWith('categories', 'category', () => exportCategoriesSql())
  }
}
