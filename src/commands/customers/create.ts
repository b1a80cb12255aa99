import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { addressesFrom, addressFlags, customerFieldFlags, customerFieldsFrom, customerRecord } from '../../lib/cli/domains/customers.js'
import { createCustomer, type CustomerDetail } from '../../lib/customers/customers.js'

export type CustomersCreateResult = CustomerDetail

export default class CustomersCreate extends BaseCommand<typeof CustomersCreate> {
  static summary = 'Create a customer'
  static description =
    'Addresses are written as "line1=<street>;line2=<more>;city=<city>;postal=<code>;region=<region>;country=<XX>" ' +
    '(line1, city and country required; the country is an ISO 3166 two-letter code). Each address flag can be ' +
    'repeated; the first of each kind becomes the default. More addresses later: erp customers address add.'
  static examples = [
    '<%= config.bin %> <%= command.id %> C-1001 --name "Bistro Lune" --email orders@lune.example --group retail',
    '<%= config.bin %> <%= command.id %> C-1002 --name "Atelier Nord" --credit-limit 5000 --payment-terms 45 ' +
      '--billing-address "line1=3 Rue Haute;city=Lille;postal=59000;country=FR"',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Customer code, unique', required: true }) }
  static flags = {
    tenant: tenantFlag,
    ...customerFieldFlags,
    name: Flags.string({ char: 'n', description: 'Customer name', required: true }),
    ...addressFlags,
  }

  async run(): Promise<CustomersCreateResult> {
    const fields = customerFieldsFrom(this.flags)
    const addresses = addressesFrom(this.flags)
    const customer = await this.inTenant((trx) =>
      createCustomer(trx, { ...fields, code: this.args.code, name: this.flags.name, addresses }),
    )
    this.note(`Created customer ${customer.code}.`)
    this.printRecord(customerRecord(customer))
    return customer
  }
}
