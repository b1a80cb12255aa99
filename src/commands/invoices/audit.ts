import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { auditTenants, type SeriesProblem, type TenantInvoiceAudit } from '../../lib/invoices/audit.js'

export interface InvoicesAuditResult {
  tenants: TenantInvoiceAudit[]
}

type ProblemRow = SeriesProblem & { tenant: string }

const PROBLEM_COLUMNS: Column<ProblemRow>[] = [
  { key: 'tenant' },
  { key: 'series' },
  { key: 'year', align: 'right' },
  { key: 'kind' },
  { key: 'from', align: 'right' },
  { key: 'to', align: 'right' },
  { key: 'count', align: 'right' },
  { key: 'numbers', get: (r) => r.numbers.join(' ') },
]

export default class InvoicesAudit extends BaseCommand<typeof InvoicesAudit> {
  static summary = 'Find gaps and duplicates in invoice and credit note number series'
  static description =
    'Checks every series (and year) of issued invoices and credit notes: numbers missing between issued ones or below ' +
    'the series counter (gap), numbers given twice (duplicate), numbers at or past the counter (ahead). Prints a line ' +
    'per problem and nothing when all is well (a summary on a terminal); exit code 1 when any problem is found or a tenant could not be ' +
    'checked. Read-only; meant for a nightly cron job with --all-tenants.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --concurrency 2 --json',
  ]
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
  }

  async run(): Promise<InvoicesAuditResult> {
    const f = this.flags
    const db = await this.db({ poolMax: f.concurrency + 1 })
    const slugs = (await this.selectedTenants(f)).map((t) => t.slug)
    const tenants = await auditTenants(db, slugs, { concurrency: f.concurrency })
    const rows = tenants.flatMap((t) => t.problems.map((p) => ({ tenant: t.tenant, ...p })))
    if (rows.length) this.printList(rows, PROBLEM_COLUMNS, '')
    const failed = tenants.filter((t) => t.status === 'failed')
    for (const t of failed) this.warning(`${t.tenant}: could not be checked: ${t.error}`)
    const bad = tenants.filter((t) => t.status === 'problems')
    if (bad.length) this.warning(`${rows.length} problems in the number series of ${bad.length} of ${tenants.length} tenants: ${bad.map((t) => t.tenant).join(', ')}`)
    if (bad.length || failed.length) this.exitStatus = ExitCode.FAILURE
    else if (this.interactive) this.note(`${tenants.length} tenants checked, ${tenants.reduce((n, t) => n + (t.documents ?? 0), 0)} numbered documents, no gaps or duplicates.`)
    return { tenants }
  }
}
