import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { listProfiles } from '../../lib/auth/profiles.js'
import { notFound } from '../../lib/errors.js'
import { logout } from '../../lib/auth/login.js'

export interface AuthLogoutResult {
  profile: string
  removed: boolean
  secretRemoved: boolean
}

export default class AuthLogout extends BaseCommand<typeof AuthLogout> {
  static summary = 'Forget a profile and its stored secret'
  static description =
    'Removes the profile and deletes its secret from the store that holds it (the OS keychain or the credentials file). The database role is not touched. Fails (1) when no profile or secret has that name.'
  static examples = ['<%= config.bin %> <%= command.id %> acme']
  static args = { name: Args.string({ description: 'Profile name', required: true }) }

  async run(): Promise<AuthLogoutResult> {
    const result = await logout(this.args.name)
    if (!result.removed && !result.secretRemoved) {
      throw notFound(`No profile named "${this.args.name}"`, { actions: ['See the stored profiles with: erp auth list'] })
    }
    await rememberForCompletion({ profiles: (await listProfiles()).map((p) => p.name) })
    this.log(`Removed profile "${result.profile}".`)
    return result
  }
}
