import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setSetting, type Setting } from '../../lib/settings/settings.js'

export type SettingsSetResult = Setting

export default class SettingsSet extends BaseCommand<typeof SettingsSet> {
  static summary = "Change one of a tenant's settings"
  static description =
    'Only known keys are accepted, and each value is checked (see erp settings list for every key, its value and default).\n\n' +
    'rounding.mode: half_up (the default; a tie rounds away from zero, 2.675 → 2.68) or half_even (a tie rounds to the even ' +
    'digit, 2.665 → 2.66): how quotes, orders and invoices round money, per line.'
  static examples = [
    '<%= config.bin %> <%= command.id %> rounding.mode half_even --tenant acme',
    '<%= config.bin %> <%= command.id %> rounding.mode half_up --tenant acme --json',
  ]
  static audited = true
  static args = {
    key: Args.string({ description: 'Setting key, e.g. rounding.mode', required: true }),
    value: Args.string({ description: 'New value', required: true }),
  }
  static flags = { tenant: tenantFlag }

  async run(): Promise<SettingsSetResult> {
    const setting = await this.inTenant((trx) => setSetting(trx, this.args.key, this.args.value))
    this.log(`${setting.key} = ${JSON.stringify(setting.value)}`)
    return setting
  }
}
