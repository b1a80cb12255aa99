import { Args } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { tenantFlag } from '../../../lib/cli/flags.js'
import type { Address } from '../../../lib/customers/addresses.js'
import { setDefaultCustomerAddress } from '../../../lib/customers/customers.js'

export type CustomersAddressDefaultResult = Address

export default class CustomersAddressDefault extends BaseCommand<typeof CustomersAddressDefault> {
  static summary = 'Make an address the default of its kind'
  static description =
    'Marks the address (its id, from erp customers show) as the customer\'s default billing or shipping address, whichever kind it is; the previous default of that kind stops being the default. An invoice shows the default billing address.'
  static examples = ['<%= config.bin %> <%= command.id %> C-1001 12', '<%= config.bin %> <%= command.id %> C-1001 12 --json']
  static audited = true
  static args = {
    code: Args.string({ description: 'Customer code', required: true }),
    id: Args.string({ description: 'Address id (see erp customers show)', required: true }),
  }
  static flags = { tenant: tenantFlag }

  async run(): Promise<CustomersAddressDefaultResult> {
    const address = await this.inTenant((trx) => setDefaultCustomerAddress(trx, this.args.code, this.args.id))
    this.log(`Address #${address.id} is now the default ${address.kind} address of ${this.args.code}.`)
    return address
  }
}
