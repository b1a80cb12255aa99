import { importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportCategoriesResult = ImportSummary | ImportTemplate

export default class ImportCategories extends ImportCommand<typeof ImportCategories> {
  static summary = 'Import the category tree (with descriptions) from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns: path (e.g. Food/Grains\\/Cereals: a "/" inside a name is written \\/), or parent (a path) and name ' +
    '(taken as written, "/" and all) instead of path; and description. Missing ancestors are created too ' +
    '(ancestorsCreated). --mode insert refuses a category that exists; upsert updates descriptions; update only ' +
    'updates. Every row is checked; any invalid row stops the import and nothing is written. ' +
    'erp export categories writes a file this takes back unchanged.'
  static examples = [
    '<%= config.bin %> <%= command.id %> categories.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> categories.csv --mode upsert --errors rejected.csv --dry-run',
  ]
  static flags = importFlags

  async run(): Promise<ImportCategoriesResult> {
    const { categoriesSpec } = await import('../../lib/importer/categories.js')
    return this.importWith(categoriesSpec, {})
  }
}
