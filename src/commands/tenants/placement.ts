import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { tenantPlacement, type TenantPlacement } from '../../lib/tenants/placement.js'

export type TenantsPlacementResult = ListResult<TenantPlacement>

const COLUMNS: Column<TenantPlacement>[] = [
  { key: 'slug' },
  { key: 'status' },
  { key: 'node' },
  { key: 'distributed', get: (r) => (r.distributed ? 'yes' : 'no (coordinator)') },
  { key: 'tables', align: 'right' },
  { key: 'size', get: (r) => r.sizeBytes, align: 'right' },
  { key: 'sizePretty', align: 'right' },
  { key: 'colocationId' },
]

export default class TenantsPlacement extends BaseCommand<typeof TenantsPlacement> {
  static summary = 'Which Citus node holds each tenant, and its size there'
  static description =
    "On a Citus coordinator with schema-based sharding: the node (host:port) holding each tenant's distributed schema, " +
    "its tables and their size on that node (citus_shard_sizes); a tenant not distributed shows the coordinator. " +
    'On any other server it exits with 78 (configuration): placement only has a meaning on a cluster. See docs/citus.md.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --sort -size --columns slug,node,sizePretty',
    '<%= config.bin %> <%= command.id %> --tenant acme --json',
  ]
  static flags = { ...listFlags, tenant: tenantFlag }

  async run(): Promise<TenantsPlacementResult> {
    const db = await this.db()
    const rows = await tenantPlacement(db, this.flags.tenant ? [await this.tenantSlug(this.flags.tenant)] : undefined)
    this.printList(rows, COLUMNS, 'No tenants.')
    return listResult(rows)
  }
}
