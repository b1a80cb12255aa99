import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { saveTenantProfile } from '../../lib/auth/tenant-profile.js'
import { issueTenantLogin } from '../../lib/tenants/credentials.js'

export interface TenantsCredentialsResult {
  tenant: string
  role: string
  rotated: boolean
  /** Present only when the secret was not stored into a profile: it is shown this once. */
  password?: string
  profile?: string
  store?: string
}

export default class TenantsCredentials extends BaseCommand<typeof TenantsCredentials> {
  static summary = "Create or rotate a tenant's login role"
  static description =
    'The login can reach this tenant\'s schema and nothing else: PostgreSQL\'s grants enforce it. ' +
    'The new secret is printed once, or, with --save-profile, stored straight into a profile and never shown. ' +
    'Rotating invalidates the previous secret.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme --save-profile acme',
    '<%= config.bin %> <%= command.id %> acme --json   # prints the secret once, in result.password',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    'save-profile': Flags.string({ description: 'Store the login as this profile instead of printing the secret', helpValue: '<name>' }),
  }

  async run(): Promise<TenantsCredentialsResult> {
    this.auditTenant = this.args.slug
    const db = await this.db()
    const login = await issueTenantLogin(db, this.args.slug)
    const base = { tenant: login.tenant, role: login.role, rotated: login.rotated }
    const profile = this.flags['save-profile']
    if (profile) {
      const store = await saveTenantProfile(profile, login, db.endpoint, (m) => this.warning(m))
      this.log(`${login.rotated ? 'Rotated' : 'Created'} login ${login.role}; stored as profile "${profile}" (${store}).`)
      return { ...base, profile, store }
    }
    this.note(`${login.rotated ? 'Rotated' : 'Created'} login ${login.role}. The secret is shown once; store it now.`)
    this.log(login.password)
    return { ...base, password: login.password }
  }
}
