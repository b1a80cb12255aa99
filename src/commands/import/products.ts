import { Flags } from '@oclif/core'

import { bulkLoadFlag, importFlags } from '../../lib/cli/domains/importer.js'
import { ImportCommand } from '../../lib/cli/domains/import-commands.js'
import type { ImportSummary } from '../../lib/importer/run.js'
import type { ImportTemplate } from '../../lib/importer/template.js'

export type ImportProductsResult = ImportSummary | ImportTemplate

export default class ImportProducts extends ImportCommand<typeof ImportProducts> {
  static summary = 'Import products from a CSV file or a workbook (.xlsx, .ods)'
  static description =
    'Columns are matched to fields by name (case and spacing do not matter): sku, name, description, category ' +
    '(a path such as Hardware/Fasteners), uom, barcode, weight, tax_class, active, tracking, cost, price (into the ' +
    'default price list) and attr:<code> for attributes. Every row is checked; by default any invalid row stops the ' +
    'import and nothing is written (one transaction, also when interrupted). Missing categories are created. ' +
    'Rows travel through COPY into a staging table and are merged with set-based statements. A large load ' +
    '(at least 20,000 new products, and at least as many as the tenant has) drops the indexes and rebuilds them ' +
    'afterwards, which locks the products (and prices) table until the import ends: --no-bulk-load avoids that.'
  static examples = [
    '<%= config.bin %> <%= command.id %> products.csv --tenant acme',
    '<%= config.bin %> <%= command.id %> products.csv --mode upsert --errors rejected.csv --batch-ref PIM-2026-11',
    'cat export.csv | <%= config.bin %> <%= command.id %> - --map "Item code=sku" --delimiter ";" --encoding windows-1252 --dry-run',
    '<%= config.bin %> <%= command.id %> products.csv --mapping northwind.yaml --lookup categories=categories.csv --dry-run',
    '<%= config.bin %> <%= command.id %> products.csv --map "ProductID=sku" --map "Discontinued=!active" --map "CategoryID=category" --lookup category=categories.csv --ignore-unknown',
    '<%= config.bin %> <%= command.id %> template.csv --template',
    '<%= config.bin %> <%= command.id %> catalog.xlsx --sheet Products --tenant acme',
  ]
  static flags = {
    ...importFlags,
    'bulk-load': bulkLoadFlag,
    'create-categories': Flags.boolean({ description: 'Create missing categories (--no-create-categories: an unknown path is an error)', default: true, allowNo: true }),
  }

  async run(): Promise<ImportProductsResult> {
    const { productsSpec } = await import('../../lib/importer/products.js')
    return this.importWith(productsSpec, { createCategories: this.flags['create-categories'], bulkLoad: this.flags['bulk-load'] })
  }
}
