import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setUserDisabled, type UserStateOutcome } from '../../lib/users/users.js'

export type UsersDisableResult = UserStateOutcome

export default class UsersDisable extends BaseCommand<typeof UsersDisable> {
  static summary = 'Disable a user: they can no longer log in'
  static description = 'Reversible with erp users enable. The last enabled admin cannot be disabled.'
  static examples = ['<%= config.bin %> <%= command.id %> bo@acme.example', '<%= config.bin %> <%= command.id %> bo@acme.example --json']
  static audited = true
  static args = { email: Args.string({ description: 'Email of the user', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<UsersDisableResult> {
    const outcome = await this.inTenant((trx) => setUserDisabled(trx, this.args.email, true))
    this.log(outcome.changed ? `User ${outcome.user.email} disabled.` : `User ${outcome.user.email} was already disabled.`)
    return outcome
  }
}
