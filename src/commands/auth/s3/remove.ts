import { Args } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'

export interface AuthS3RemoveResult {
  profile: string
  /** Whether the profile had S3 settings. */
  removed: boolean
}

export default class AuthS3Remove extends BaseCommand<typeof AuthS3Remove> {
  static summary = "Forget a profile's S3 settings and delete its stored access keys"
  static description =
    "The profile itself stays. Its backups to s3:// locations then take their settings from the environment and the AWS SDK's chain only."
  static examples = ['<%= config.bin %> <%= command.id %> prod']
  static args = { name: Args.string({ description: 'Profile name (erp auth list)', required: true }) }

  async run(): Promise<AuthS3RemoveResult> {
    const { removeObjectStorage } = await import('../../../lib/auth/object-storage.js')
    const removed = await removeObjectStorage(this.args.name)
    this.log(removed ? `Removed the S3 settings of profile "${this.args.name}".` : `Profile "${this.args.name}" had no S3 settings.`)
    return { profile: this.args.name, removed }
  }
}
