import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { getSetting, type Setting } from '../../lib/settings/settings.js'

export type SettingsGetResult = Setting

export default class SettingsGet extends BaseCommand<typeof SettingsGet> {
  static summary = "Show one of a tenant's settings"
  static description = 'Prints the value (its default when never set). Known keys: see erp settings list.'
  static examples = [
    '<%= config.bin %> <%= command.id %> rounding.mode --tenant acme',
    '<%= config.bin %> <%= command.id %> rounding.mode --tenant acme --json',
  ]
  static args = { key: Args.string({ description: 'Setting key, e.g. rounding.mode', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<SettingsGetResult> {
    const setting = await this.inTenant((trx) => getSetting(trx, this.args.key), { access: 'read' })
    this.log(typeof setting.value === 'string' ? setting.value : JSON.stringify(setting.value))
    return setting
  }
}
