import { BaseCommand } from '../../lib/cli/base-command.js'
import { rememberForCompletion } from '../../lib/cli/completion-cache.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { currentProfileName, listProfiles, type Profile } from '../../lib/auth/profiles.js'
import { describeObjectStorage } from '../../lib/cli/domains/object-storage-text.js'

export type AuthListResult = ListResult<Profile & { current: boolean }>

const COLUMNS: Column<AuthListResult['items'][number]>[] = [
  { key: 'current', get: (p) => (p.current ? '*' : '') },
  { key: 'name' },
  { key: 'kind' },
  { key: 'tenant' },
  { key: 'server', get: (p) => (p.embedded ? 'embedded' : `${p.host}:${p.port}/${p.database}`) },
  { key: 'user' },
  { key: 'secretStore' },
  { key: 's3', get: (p) => (p.objectStorage ? describeObjectStorage(p.objectStorage) : '') },
]

export default class AuthList extends BaseCommand<typeof AuthList> {
  static summary = 'List stored profiles (the current one is marked *)'
  static description =
    'Every profile stored in the config folder: its kind (admin or tenant), the tenant a tenant profile is held to, the server, the database user and the store holding its secret (keychain or file), and its S3 settings (erp auth s3 set: endpoint, region, and which store holds its access keys). The current profile (erp auth use) is marked *. Secrets are never shown.'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = { ...listFlags }

  async run(): Promise<AuthListResult> {
    const current = await currentProfileName()
    const profiles = (await listProfiles()).map((p) => ({ ...p, current: p.name === current }))
    await rememberForCompletion({ profiles: profiles.map((p) => p.name) })
    this.printList(profiles, COLUMNS, 'No profiles. Store one with: erp auth login <name> --url … or --embedded')
    return listResult(profiles)
  }
}
