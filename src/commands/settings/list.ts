import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { SETTING_COLUMNS } from '../../lib/cli/domains/settings-columns.js'
import { listSettings, type Setting } from '../../lib/settings/settings.js'

export type SettingsListResult = ListResult<Setting>

export default class SettingsList extends BaseCommand<typeof SettingsList> {
  static summary = "List a tenant's settings with their values and defaults"
  static description = 'Every known setting is listed; a setting never set shows its default.'
  static examples = ['<%= config.bin %> <%= command.id %> --tenant acme', '<%= config.bin %> <%= command.id %> --tenant acme --json']
  static flags = { ...listFlags, tenant: tenantFlag }

  async run(): Promise<SettingsListResult> {
    const settings = await this.inTenant((trx) => listSettings(trx), { access: 'read' })
    this.printList(settings, SETTING_COLUMNS, 'No settings.')
    return listResult(settings)
  }
}
