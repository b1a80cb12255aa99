import { Args } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { usageError } from '../../lib/errors.js'
import { checkDistributable, type DistributableFinding, type DistributableReport } from '../../lib/tenants/distributable.js'

export type TenantsCheckDistributableResult = DistributableReport

const COLUMNS: Column<DistributableFinding>[] = [
  { key: 'tenant' },
  { key: 'severity' },
  { key: 'check' },
  { key: 'object' },
  { key: 'detail' },
]

export default class TenantsCheckDistributable extends BaseCommand<typeof TenantsCheckDistributable> {
  static summary = "Report what would stop a tenant's schema from being distributed as one unit over Citus"
  static description =
    'Checks, from the catalogs, what citus_schema_distribute would refuse under schema-based sharding: foreign keys ' +
    'leaving or entering the schema, inheritance, partitions in another schema or partitioned twice, foreign tables, ' +
    'objects owned by an extension or an extension installed in the schema, tables not owned by the schema owner, ' +
    'triggers (refused unless citus.enable_unsafe_triggers is on for that call; erp\'s own schema has some), ' +
    'row-level security policies with subqueries; and, as a risk, serial/identity sequences narrower than bigint. ' +
    'A tenant whose schema is distributed already is reported as such, with no findings. ' +
    'Exit code 1 when any tenant has a finding. See docs/citus.md.'
  static examples = [
    '<%= config.bin %> <%= command.id %> acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --json',
    '<%= config.bin %> <%= command.id %> --all-tenants --filter severity==blocker --output csv',
  ]
  static args = { slug: Args.string({ description: 'Tenant slug', required: false }) }
  static flags = { ...listFlags, 'all-tenants': allTenantsFlag }

  async run(): Promise<TenantsCheckDistributableResult> {
    const all = this.flags['all-tenants']
    if (!all && !this.args.slug) throw usageError('Name a tenant, or pass --all-tenants.')
    if (all && this.args.slug) throw usageError('Name a tenant or pass --all-tenants, not both.')
    if (this.args.slug) this.auditTenant = this.args.slug
    const report = await checkDistributable(await this.db(), { tenant: this.args.slug, all })
    if (report.findings.length) this.exitStatus = ExitCode.FAILURE
    this.printList(report.findings, COLUMNS, '')
    const ready = report.checked - report.distributed.length - report.blocked.length
    const already = report.distributed.length ? `, ${report.distributed.length} distributed already` : ''
    this.note(`${report.checked} tenant(s) checked: ${ready} distributable as they are, ${report.blocked.length} with findings${already}.`)
    return report
  }
}
