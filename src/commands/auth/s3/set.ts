import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../../lib/cli/base-command.js'
import type { ObjectStorageSettings } from '../../../lib/auth/profiles.js'
import { currentIo } from '../../../lib/io.js'
import { describeObjectStorage } from '../../../lib/cli/domains/object-storage-text.js'

export interface AuthS3SetResult {
  profile: string
  /** The settings now stored; `credentials` names the store holding the key pair, never the keys. */
  objectStorage: ObjectStorageSettings
}

export default class AuthS3Set extends BaseCommand<typeof AuthS3Set> {
  static summary = "Store a profile's S3 settings: endpoint, region, AWS profile, path style, access keys"
  static description =
    'Backups to s3:// locations made with this profile use these settings. Each one left out keeps its stored value. ' +
    'The access key pair is read from stdin (two lines: the key id, then the secret) and kept in the credential store, as ' +
    'passwords are: never in profiles.json, never printed (erp auth list and whoami show only whether it is set). ' +
    'The environment still wins, setting by setting: AWS_ENDPOINT_URL, AWS_REGION, ERP_S3_PATH_STYLE, and AWS_ACCESS_KEY_ID or ' +
    "AWS_PROFILE for credentials; what neither names comes from the AWS SDK's default chain (~/.aws files, SSO, instance role)."
  static examples = [
    'printf "%s\\n%s\\n" "$KEY_ID" "$SECRET" | <%= config.bin %> <%= command.id %> prod --endpoint https://minio.internal:9000 --path-style --credentials-stdin',
    '<%= config.bin %> <%= command.id %> prod --endpoint https://<account>.r2.cloudflarestorage.com --region auto',
    '<%= config.bin %> <%= command.id %> prod --aws-profile erp-backup --region eu-central-1',
  ]
  static args = { name: Args.string({ description: 'Profile name (erp auth list)', required: true }) }
  static flags = {
    endpoint: Flags.string({ description: "The store's endpoint URL (MinIO, R2, GCS); leave out for AWS S3", helpValue: '<url>' }),
    region: Flags.string({ description: 'The region (auto for R2)', helpValue: '<region>' }),
    'aws-profile': Flags.string({ description: 'Take credentials from this profile of ~/.aws/config and ~/.aws/credentials', helpValue: '<name>' }),
    'path-style': Flags.boolean({ description: 'Path-style addressing (endpoint/bucket/key); --no-path-style for virtual-hosted. Automatic when left out', allowNo: true }),
    'credentials-stdin': Flags.boolean({ description: 'Read the access key id and the secret access key from stdin, one line each' }),
  }

  async run(): Promise<AuthS3SetResult> {
    const { parseKeyPair, setObjectStorage } = await import('../../../lib/auth/object-storage.js')
    const { getProfile } = await import('../../../lib/auth/profiles.js')
    await getProfile(this.args.name) // an unknown profile is refused before stdin is read
    let keys
    if (this.flags['credentials-stdin']) {
      const { readStdinSecret } = await import('../../../lib/cli/prompts.js')
      keys = parseKeyPair(await readStdinSecret(currentIo().stdin, '--credentials-stdin'))
    }
    const profile = await setObjectStorage(this.args.name, {
      endpoint: this.flags.endpoint,
      region: this.flags.region,
      awsProfile: this.flags['aws-profile'],
      pathStyle: this.flags['path-style'],
      keys,
      onWarning: (m) => this.warning(m),
    })
    this.log(`Stored the S3 settings of profile "${profile.name}": ${describeObjectStorage(profile.objectStorage)}.`)
    return { profile: profile.name, objectStorage: profile.objectStorage! }
  }
}
