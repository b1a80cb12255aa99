import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { getStockSettings, updateStockSettings, type StockSettings } from '../../lib/stock/settings.js'

export type StockSettingsResult = StockSettings

export default class StockSettingsCommand extends BaseCommand<typeof StockSettingsCommand> {
  static summary = "Show or change the tenant's stock settings"
  static description =
    'With --allow-negative, moves may take on-hand below zero (stock sold before it is booked in); ' +
    '--no-allow-negative (the default) refuses them. Without flags, shows the settings.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --allow-negative',
    '<%= config.bin %> <%= command.id %> --no-allow-negative --json',
  ]
  static audited = true
  static flags = {
    tenant: tenantFlag,
    'allow-negative': Flags.boolean({ description: 'Let moves take on-hand below zero', allowNo: true }),
  }

  async run(): Promise<StockSettingsResult> {
    const allowNegative = this.flags['allow-negative']
    const settings = await this.inTenant(
      (trx) => (allowNegative === undefined ? getStockSettings(trx) : updateStockSettings(trx, { allowNegative })),
      { access: allowNegative === undefined ? 'read' : 'write' },
    )
    this.printRecord({ 'allow negative stock': settings.allowNegative })
    return settings
  }
}
