import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { usageError } from '../../lib/errors.js'
import { getProfile, setCurrentProfile } from '../../lib/auth/profiles.js'

export interface AuthUseResult {
  current: string | null
}

export default class AuthUse extends BaseCommand<typeof AuthUse> {
  static summary = 'Choose the profile commands use by default'
  static description = 'DATABASE_URL, ERP_PROFILE and --profile still win over it. --none goes back to the embedded server.'
  static examples = ['<%= config.bin %> <%= command.id %> prod', '<%= config.bin %> <%= command.id %> --none']
  static args = { name: Args.string({ description: 'Profile name' }) }
  static flags = { none: Flags.boolean({ description: 'Use no stored profile by default' }) }

  async run(): Promise<AuthUseResult> {
    if (this.flags.none) {
      await setCurrentProfile(undefined)
      this.log('No current profile: commands use DATABASE_URL or the embedded server.')
      return { current: null }
    }
    if (!this.args.name) throw usageError('Name a profile, or pass --none.', { actions: ['See them with: erp auth list'] })
    await getProfile(this.args.name)
    await setCurrentProfile(this.args.name)
    this.log(`Now using profile "${this.args.name}".`)
    return { current: this.args.name }
  }
}
