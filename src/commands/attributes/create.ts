import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { ATTRIBUTE_TYPES, createAttribute, type Attribute } from '../../lib/catalog/attributes.js'

export type AttributesCreateResult = Attribute

export default class AttributesCreate extends BaseCommand<typeof AttributesCreate> {
  static summary = 'Define a product attribute'
  static description =
    'Products carry values for defined attributes only, checked against the type: text, number (up to 15 ' +
    'significant digits), boolean (true/false, yes/no), date (YYYY-MM-DD) or enum (one of --values).'
  static examples = [
    '<%= config.bin %> <%= command.id %> color --type enum --values red,green,blue',
    '<%= config.bin %> <%= command.id %> length_mm --type number --name "Length (mm)"',
    '<%= config.bin %> <%= command.id %> fragile --type boolean --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Attribute code: lowercase letters, digits and _', required: true }) }
  static flags = {
    tenant: tenantFlag,
    type: Flags.string({ description: 'Value type', options: [...ATTRIBUTE_TYPES], required: true }),
    values: Flags.string({ description: 'Allowed values of an enum (comma-separated)', multiple: true, delimiter: ',' }),
    name: Flags.string({ description: 'Display name' }),
  }

  async run(): Promise<AttributesCreateResult> {
    const attribute = await this.inTenant((trx) =>
      createAttribute(trx, { code: this.args.code, type: this.flags.type, values: this.flags.values, name: this.flags.name }),
    )
    this.log(`Created attribute ${attribute.code} (${attribute.type})`)
    return attribute
  }
}
