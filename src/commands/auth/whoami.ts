import { BaseCommand } from '../../lib/cli/base-command.js'
import { whoami, type WhoAmI } from '../../lib/auth/login.js'
import { describeObjectStorage } from '../../lib/cli/domains/object-storage-text.js'

export type AuthWhoamiResult = WhoAmI

export default class AuthWhoami extends BaseCommand<typeof AuthWhoami> {
  static summary = 'Show which connection erp uses, as whom, and where its secret is kept'
  static description =
    'Resolution order: --profile, ERP_PROFILE, DATABASE_URL, the current profile (erp auth use), the embedded server.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile acme --json']

  async run(): Promise<AuthWhoamiResult> {
    const me = await whoami(await this.db())
    this.printRecord({
      source: me.source,
      profile: me.profile,
      scope: me.scope.kind === 'tenant' ? `tenant ${me.scope.tenant}` : 'admin',
      'database user': me.databaseUser,
      server: `${me.host}:${me.port}/${me.database} (PostgreSQL ${me.serverVersion})`,
      'secret store': me.secretLocation ? `${me.secretStore}: ${me.secretLocation}` : me.secretStore,
      s3: describeObjectStorage(me.objectStorage),
    })
    return me
  }
}
