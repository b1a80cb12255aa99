import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { passwordFlags, passwordSourceFrom } from '../../lib/cli/domains/users.js'
import { resetUserPassword, type User } from '../../lib/users/users.js'

export interface UsersResetPasswordResult extends User {
  /** Only with --generate: the new password, shown this once. */
  password?: string
}

export default class UsersResetPassword extends BaseCommand<typeof UsersResetPassword> {
  static summary = "Set a new password for a user"
  static description =
    'The password comes from stdin (--password-stdin), is generated and printed once (--generate), or is ' +
    'asked twice on a terminal. It is stored only as a salted scrypt hash and never logged or audited. ' +
    'At least 10 characters, no leading or trailing spaces.'
  static examples = [
    '<%= config.bin %> <%= command.id %> ana@acme.example',
    'printf %s "$PW" | <%= config.bin %> <%= command.id %> ana@acme.example --password-stdin',
    '<%= config.bin %> <%= command.id %> ana@acme.example --generate --json',
  ]
  static audited = true
  static args = { email: Args.string({ description: 'Email of the user', required: true }) }
  static flags = { tenant: tenantFlag, ...passwordFlags }

  async run(): Promise<UsersResetPasswordResult> {
    const source = (await passwordSourceFrom(this.flags, true))!
    const { user, generatedPassword } = await this.inTenant((trx) => resetUserPassword(trx, this.args.email, source))
    this.note(`New password set for ${user.email}.`)
    if (generatedPassword) {
      this.note('The generated password is shown once; hand it over now:')
      this.log(generatedPassword)
      return { ...user, password: generatedPassword }
    }
    return user
  }
}
