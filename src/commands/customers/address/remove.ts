import { Args } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import { tenantFlag, yesFlag } from '../../../lib/cli/flags.js'
import { confirmOrFail } from '../../../lib/cli/prompts.js'
import type { Address } from '../../../lib/customers/addresses.js'
import { removeCustomerAddress } from '../../../lib/customers/customers.js'

export type CustomersAddressRemoveResult = Address

export default class CustomersAddressRemove extends BaseCommand<typeof CustomersAddressRemove> {
  static summary = "Remove one of a customer's addresses"
  static description =
    'When it was the default of its kind, the oldest remaining address of that kind becomes the default. ' +
    'Asks for confirmation on a terminal; scripts pass --yes.'
  static examples = ['<%= config.bin %> <%= command.id %> C-1001 12', '<%= config.bin %> <%= command.id %> C-1001 12 --yes --json']
  static audited = true
  static args = {
    code: Args.string({ description: 'Customer code', required: true }),
    id: Args.string({ description: 'Address id (see erp customers show)', required: true }),
  }
  static flags = { tenant: tenantFlag, yes: yesFlag }

  async run(): Promise<CustomersAddressRemoveResult> {
    await confirmOrFail(`Remove address #${this.args.id} of customer ${this.args.code}?`, { yes: this.flags.yes })
    const address = await this.inTenant((trx) => removeCustomerAddress(trx, this.args.code, this.args.id))
    this.log(`Removed ${address.kind} address #${address.id} of ${this.args.code}.`)
    return address
  }
}
