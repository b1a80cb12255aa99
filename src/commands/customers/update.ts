import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { customerFieldFlags, customerFieldsFrom, customerRecord } from '../../lib/cli/domains/customers.js'
import { updateCustomer, type CustomerDetail, type CustomerFields } from '../../lib/customers/customers.js'

export type CustomersUpdateResult = CustomerDetail

const CLEARABLE = { email: 'email', phone: 'phone', 'tax-id': 'taxId', group: 'group', 'credit-limit': 'creditLimit' } as const

export default class CustomersUpdate extends BaseCommand<typeof CustomersUpdate> {
  static summary = 'Change a customer'
  static description =
    'Only the flags given change; --unset clears optional fields (no credit limit means none is enforced). ' +
    'Addresses are changed with erp customers address add|remove|default.'
  static examples = [
    '<%= config.bin %> <%= command.id %> C-1001 --credit-limit 7500 --payment-terms 60',
    '<%= config.bin %> <%= command.id %> C-1001 --group wholesale --unset phone',
  ]
  static audited = true
  static args = { code: Args.string({ description: 'Customer code', required: true }) }
  static flags = {
    tenant: tenantFlag,
    ...customerFieldFlags,
    unset: Flags.string({ description: 'Clear these fields', options: Object.keys(CLEARABLE), multiple: true, delimiter: ',' }),
  }

  async run(): Promise<CustomersUpdateResult> {
    const fields: CustomerFields = customerFieldsFrom(this.flags)
    for (const flag of (this.flags.unset ?? []) as (keyof typeof CLEARABLE)[]) {
      if (this.flags[flag] !== undefined) throw usageError(`--${flag} and --unset ${flag} contradict each other`)
      fields[CLEARABLE[flag]] = null
    }
    const customer = await this.inTenant((trx) => updateCustomer(trx, { ...fields, code: this.args.code }))
    this.note(`Updated customer ${customer.code}.`)
    this.printRecord(customerRecord(customer))
    return customer
  }
}
