import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { listAttributes, type Attribute } from '../../lib/catalog/attributes.js'
import { ATTRIBUTE_COLUMNS } from '../../lib/cli/domains/catalog.js'

export type AttributesListResult = ListResult<Attribute>

export default class AttributesList extends BaseCommand<typeof AttributesList> {
  static summary = 'List product attributes'
  static description =
    'The tenant\'s typed product attributes: code, name, type (text, number, boolean, enum) and, for an enum, its values. Products carry them with --attr code=value, and products list filters on them.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = { tenant: tenantFlag, ...listFlags }

  async run(): Promise<AttributesListResult> {
    const attributes = await this.inTenant((trx) => listAttributes(trx), { access: 'read' })
    this.printList(attributes, ATTRIBUTE_COLUMNS, 'No attributes yet. Define one with: erp attributes create <code> --type text')
    return listResult(attributes)
  }
}
