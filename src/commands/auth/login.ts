import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { listProfiles } from '../../lib/auth/profiles.js'
import { askSecret, readStdinSecret } from '../../lib/cli/prompts.js'
import { login, type LoginResult } from '../../lib/auth/login.js'

export type AuthLoginResult = Omit<LoginResult, 'profile'> & { profile: LoginResult['profile'] }

export default class AuthLogin extends BaseCommand<typeof AuthLogin> {
  static summary = 'Store a named connection profile'
  static description =
    'An admin profile (the database owner or a superuser; any other role is refused, CREATEROLE or not) provisions, ' +
    'migrates and backs up across tenants; a tenant profile ' +
    '(--tenant) holds a tenant login and reaches that tenant only. The secret goes to the OS keychain when one ' +
    'answers, else to a 0600 file in the config folder; it comes from --password-stdin, a prompt, or the URL — ' +
    'never from a flag of its own. The profile is tested with a connection before it is stored.'
  static examples = [
    '<%= config.bin %> <%= command.id %> prod --url postgres://erp_admin@db.example.com/erp --password-stdin < secret.txt',
    '<%= config.bin %> <%= command.id %> acme --url postgres://erp_tenant_acme_login@db/erp --tenant acme --use',
    '<%= config.bin %> <%= command.id %> local --embedded --use',
  ]
  static args = { name: Args.string({ description: 'Profile name', required: true }) }
  static flags = {
    url: Flags.string({ description: 'postgres://user@host:port/database', exclusive: ['embedded'] }),
    embedded: Flags.boolean({ description: 'The embedded server of this machine' }),
    tenant: Flags.string({ description: 'Make it a tenant profile for this tenant' }),
    'password-stdin': Flags.boolean({ description: 'Read the password from standard input' }),
    'no-password': Flags.boolean({ description: 'The server needs no password for this user (trust, peer, certificates)' }),
    use: Flags.boolean({ description: 'Make it the current profile' }),
    'no-verify': Flags.boolean({ description: 'Store without a test connection' }),
  }

  async run(): Promise<AuthLoginResult> {
    const password = await this.password()
    const result = await login({
      name: this.args.name,
      url: this.flags.url,
      embedded: this.flags.embedded,
      tenant: this.flags.tenant,
      password,
      use: this.flags.use,
      verify: !this.flags['no-verify'],
      onWarning: (m) => this.warning(m),
    })
    await rememberForCompletion({ profiles: (await listProfiles()).map((p) => p.name) })
    this.log(`Stored profile "${result.profile.name}" (${result.profile.kind}${result.store ? `, secret in ${result.store}` : ''})${result.current ? ', now current' : ''}.`)
    return result
  }

  private async password(): Promise<string | undefined> {
    if (this.flags['password-stdin']) return readStdinSecret()
    if (this.flags.embedded && !this.flags.tenant) return undefined
    if (this.flags['no-password'] || (this.flags.url && new URL(this.flags.url).password)) return undefined
    return askSecret('Password:', { flagHint: '--password-stdin (or --no-password)' })
  }
}
