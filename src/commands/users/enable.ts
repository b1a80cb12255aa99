import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { setUserDisabled, type UserStateOutcome } from '../../lib/users/users.js'

export type UsersEnableResult = UserStateOutcome

export default class UsersEnable extends BaseCommand<typeof UsersEnable> {
  static summary = 'Enable a disabled user again'
  static description = 'The user keeps the password they had.'
  static examples = ['<%= config.bin %> <%= command.id %> bo@acme.example', '<%= config.bin %> <%= command.id %> bo@acme.example --json']
  static audited = true
  static args = { email: Args.string({ description: 'Email of the user', required: true }) }
  static flags = { tenant: tenantFlag }

  async run(): Promise<UsersEnableResult> {
    const outcome = await this.inTenant((trx) => setUserDisabled(trx, this.args.email, false))
    this.log(outcome.changed ? `User ${outcome.user.email} enabled.` : `User ${outcome.user.email} was already enabled.`)
    return outcome
  }
}
