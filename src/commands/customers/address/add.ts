import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { tenantFlag } from '../../../lib/cli/flags.js'
import { ADDRESS_KINDS, type Address } from '../../../lib/customers/addresses.js'
import { formatAddress } from '../../../lib/cli/domains/customers.js'
import { addCustomerAddress } from '../../../lib/customers/customers.js'

export type CustomersAddressAddResult = Address

export default class CustomersAddressAdd extends BaseCommand<typeof CustomersAddressAdd> {
  static summary = 'Add a billing or shipping address to a customer'
  static description =
    'The first address of a kind becomes its default; --default makes this one the default in place of the current one.'
  static examples = [
    '<%= config.bin %> <%= command.id %> C-1001 --kind shipping --line1 "Unit 4, Dock Rd" --city Leeds --postal-code "LS1 4AP" --country GB',
    '<%= config.bin %> <%= command.id %> C-1001 --kind billing --line1 "1 Main St" --city Boston --region MA --country US --default --json',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Customer code', required: true }) }
  static flags = {
    tenant: tenantFlag,
    kind: Flags.string({ description: 'Address kind', options: [...ADDRESS_KINDS], required: true }),
    line1: Flags.string({ description: 'Street and number', required: true }),
    line2: Flags.string({ description: 'Second address line' }),
    city: Flags.string({ description: 'City', required: true }),
    'postal-code': Flags.string({ description: 'Postal code' }),
    region: Flags.string({ description: 'Region, state or county' }),
    country: Flags.string({ description: 'ISO 3166 two-letter country code (GB, FR, US…)', required: true }),
    default: Flags.boolean({ description: 'Make it the default address of its kind' }),
  }

  async run(): Promise<CustomersAddressAddResult> {
    const { flags } = this
    const address = await this.inTenant((trx) =>
      addCustomerAddress(trx, this.args.code, {
        kind: flags.kind, line1: flags.line1, line2: flags.line2, city: flags.city, postalCode: flags['postal-code'],
        region: flags.region, country: flags.country, isDefault: flags.default,
      }),
    )
    this.log(`Added ${address.kind} address #${address.id}${address.isDefault ? ' (default)' : ''}: ${formatAddress(address)}`)
    return address
  }
}
