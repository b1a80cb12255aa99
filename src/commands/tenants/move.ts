import { Args, Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { dryRunFlag } from '../../lib/cli/flags.js'
import type { Column } from '../../lib/cli/render.js'
import { moveTenant, TRANSFER_MODES, type MoveTenantResult, type TableCount } from '../../lib/tenants/move.js'

export type TenantsMoveResult = MoveTenantResult

const COLUMNS: Column<TableCount>[] = [
  { key: 'table' },
  { key: 'before', align: 'right' },
  { key: 'after', align: 'right' },
]

export default class TenantsMove extends BaseCommand<typeof TenantsMove> {
  static summary = "Move a tenant's distributed schema to another Citus node"
  static description =
    'Wraps citus_schema_move on the coordinator, then runs ANALYZE on every table of the tenant (the moved shards have ' +
    'no statistics yet, and plans are bad until they do), then counts every table again and fails (exit 1) if a count ' +
    'differs from the one taken before the move. Rows written during the move count as differences: suspend the tenant ' +
    'first for an exact check. --dry-run shows where it is, where it would go and the counts, and moves nothing.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme --node worker-2:5432 --dry-run',
    '<%= config.bin %> <%= command.id %> acme --node worker-2:5432',
    '<%= config.bin %> <%= command.id %> acme --node 10.0.0.12:5432 --transfer-mode block_writes --json',
  ]
  static audited = true
  static args = { slug: Args.string({ description: 'Tenant slug', required: true }) }
  static flags = {
    node: Flags.string({ description: 'Target node, host:port as registered on the coordinator (pg_dist_node)', required: true, helpValue: '<host:port>' }),
    'transfer-mode': Flags.option({
      description: "citus_schema_move's shard_transfer_mode: auto (logical replication, writes go on), force_logical, or block_writes",
      options: TRANSFER_MODES,
      default: 'auto' as const,
    })(),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<TenantsMoveResult> {
    this.auditTenant = this.args.slug
    const result = await moveTenant(await this.db(), {
      slug: this.args.slug,
      node: this.flags.node,
      transferMode: this.flags['transfer-mode'],
      dryRun: this.flags['dry-run'],
    })
    if (result.dryRun) this.log(`Dry run: ${result.slug} (${result.schema}) would move from ${result.from} to ${result.to}; nothing changed.`)
    else if (!result.moved) this.log(`Tenant ${result.slug} is on ${result.to} already; nothing to do.`)
    else this.log(`Tenant ${result.slug} moved from ${result.from} to ${result.to}; ${result.analyzed} table(s) analyzed, row counts match.`)
    this.printList(result.tables, COLUMNS, '')
    return result
  }
}
