import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { passwordFlags, passwordSourceFrom } from '../../lib/cli/domains/users.js'
import { createUser, USER_ROLES, type User } from '../../lib/users/users.js'

export interface UsersCreateResult extends User {
  /** Only with --generate: the new password, shown this once. */
  password?: string
}

export default class UsersCreate extends BaseCommand<typeof UsersCreate> {
  static summary = "Create one of the tenant's ERP users"
  static description =
    'Emails are unique ignoring case. Without --password-stdin or --generate the user has no password until ' +
    'erp users reset-password. Passwords (at least 10 characters) are stored only as a salted scrypt hash.'
  static examples = [
    '<%= config.bin %> <%= command.id %> ana@acme.example --name "Ana Silva" --role manager --generate',
    'printf %s "$PW" | <%= config.bin %> <%= command.id %> bo@acme.example --name Bo --role clerk --password-stdin --json',
  ]
  static audited = true
  static args = { email: Args.string({ description: 'Email address (the login)', required: true }) }
  static flags = {
    tenant: tenantFlag,
    name: Flags.string({ char: 'n', description: 'Full name', required: true }),
    role: Flags.string({ char: 'r', description: 'Role', options: [...USER_ROLES], default: 'viewer' }),
    ...passwordFlags,
  }

  async run(): Promise<UsersCreateResult> {
    const password = await passwordSourceFrom(this.flags, false)
    const { user, generatedPassword } = await this.inTenant((trx) =>
      createUser(trx, { email: this.args.email, name: this.flags.name, role: this.flags.role, password }),
    )
    this.note(`Created user ${user.email} (${user.role})${user.hasPassword ? '' : ', no password yet'}.`)
    if (generatedPassword) {
      this.note('The generated password is shown once; hand it over now:')
      this.log(generatedPassword)
      return { ...user, password: generatedPassword }
    }
    return user
  }
}
