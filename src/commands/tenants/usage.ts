import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { tenantUsage, type TenantUsage } from '../../lib/tenants/usage.js'
import { tenantFlag } from '../../lib/cli/flags.js'

export type TenantsUsageResult = ListResult<TenantUsage>

const COLUMNS: Column<TenantUsage>[] = [
  { key: 'slug' },
  { key: 'status' },
  { key: 'size', get: (r) => r.sizeBytes, align: 'right' },
  { key: 'sizePretty', align: 'right' },
  { key: 'rows', align: 'right' },
  {
    key: 'largest',
    get: (r) => Object.entries(r.tableRows).slice(0, 3).map(([t, n]) => `${t}:${n}`).join(' '),
  },
  { key: 'writes', align: 'right' },
  { key: 'lastActivityAt' },
  { key: 'lastCommandAt' },
  { key: 'lastMaintenanceAt' },
]

export default class TenantsUsage extends BaseCommand<typeof TenantsUsage> {
  static summary = "Each tenant's size, rows and last activity"
  static description =
    "Size is the schema's tables with their indexes and TOAST; rows are catalog estimates (run ANALYZE for fresh ones); " +
    'writes count rows inserted, updated or deleted since the statistics were reset; last activity is the later of ' +
    'the last audited command and the last vacuum/analyze. One query for the whole fleet. Largest first unless --sort says otherwise.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --sort -rows --columns slug,sizePretty,rows',
    '<%= config.bin %> <%= command.id %> --sort size --output csv',
    '<%= config.bin %> <%= command.id %> --tenant acme --json',
  ]
  static flags = { ...listFlags, tenant: tenantFlag }

  async run(): Promise<TenantsUsageResult> {
    const db = await this.db()
    const usage = await tenantUsage(db, this.flags.tenant ? [await this.tenantSlug(this.flags.tenant)] : undefined)
    const sorted = this.flags.sort ? usage : [...usage].sort((a, b) => b.sizeBytes - a.sizeBytes)
    this.printList(sorted, COLUMNS, 'No tenants.')
    return listResult(sorted)
  }
}
