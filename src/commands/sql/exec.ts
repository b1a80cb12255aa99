import { Flags } from '@oclif/core'
import fs from 'node:fs/promises'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, dryRunFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags, listOptionsFrom } from '../../lib/cli/list-flags.js'
import { renderList, type Column } from '../../lib/cli/render.js'
import { renderResultSet, resultSetHeading, sqlResultSet, type SqlResultSet } from '../../lib/cli/domains/sql.js'
import { checkScript, DEFAULT_ROW_LIMIT, runScriptInTenants } from '../../lib/sql/exec.js'

export interface SqlExecRow {
  tenant: string
  status: 'ok' | 'failed' | 'rolled back'
  statements: number
  rows: number
  error?: string
  durationMs: number
  /** What each statement that returns rows (SELECT, … RETURNING) gave, in script order. */
  results: SqlResultSet[]
}

export interface SqlExecResult {
  file: string
  dryRun: boolean
  tenants: SqlExecRow[]
  failed: number
}

const COLUMNS: Column<SqlExecRow>[] = [
  { key: 'tenant' },
  { key: 'status' },
  { key: 'statements', align: 'right' },
  { key: 'rows', align: 'right' },
  { key: 'error' },
  { key: 'durationMs', align: 'right' },
]

export default class SqlExec extends BaseCommand<typeof SqlExec> {
  static summary = 'Run an ad-hoc SQL script inside one tenant schema or all of them'
  static description =
    "Each tenant runs the script in its own transaction, with search_path set to its schema, on a session logged in as " +
    "the tenant's owner role: nothing in the script can reach beyond that tenant's grants. " +
    'A failure in one tenant rolls back that tenant only and is reported. --dry-run runs the script and rolls it back. ' +
    'Transaction control (BEGIN, COMMIT, ROLLBACK…) and role changes (SET ROLE, SET SESSION AUTHORIZATION) are refused, ' +
    'with their lines, before anything runs. Exit code 1 if any tenant failed.\n\n' +
    'Rows a statement returns (SELECT, INSERT … RETURNING) are printed per tenant and statement, as a table, as CSV ' +
    '(--output csv: only the rows on stdout, headings and the summary on stderr) or in --json (result.tenants[].results: ' +
    'columns, rows as arrays of cells, rowCount). Each statement keeps its first --row-limit rows; a warning says ' +
    'when rows were left out. The per-tenant summary follows.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --file add_tenant_fields_2024.sql --all-tenants --dry-run',
    '<%= config.bin %> <%= command.id %> --file fix.sql --tenant acme --json',
    '<%= config.bin %> <%= command.id %> --file count_orders.sql --all-tenants --output csv > counts.csv',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    file: Flags.file({ description: 'The SQL script', required: true, char: 'f' }),
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
    'dry-run': dryRunFlag,
    'row-limit': Flags.integer({ description: 'Rows kept of each statement that returns rows, per tenant', default: DEFAULT_ROW_LIMIT, min: 1, max: 100_000 }),
  }

  async run(): Promise<SqlExecResult> {
    const statements = checkScript(await fs.readFile(this.flags.file, 'utf8'), this.flags.file)
    const db = await this.db({ poolMax: this.flags.concurrency + 1 })
    const tenants = await this.selectedTenants(this.flags)
    const dryRun = this.flags['dry-run']
    const outcomes = await runScriptInTenants(db, tenants.map((t) => t.slug), statements, {
      dryRun, concurrency: this.flags.concurrency, rowLimit: this.flags['row-limit'],
    })
    const rows: SqlExecRow[] = outcomes.map((o) => ({
      tenant: o.tenant,
      status: !o.ok ? 'failed' : dryRun ? 'rolled back' : 'ok',
      statements: o.result?.statements.length ?? 0,
      rows: o.result?.statements.reduce((n, s) => n + (s.rowCount ?? 0), 0) ?? 0,
      error: o.error,
      durationMs: o.durationMs,
      results: (o.result?.statements ?? []).flatMap((s, i) => (s.resultSet ? [sqlResultSet(i + 1, s.line, s.command, s.resultSet)] : [])),
    }))
    const failed = rows.filter((r) => r.status === 'failed').length
    if (failed) this.exitStatus = ExitCode.FAILURE
    const printedRows = this.printResultSets(rows)
    // Rows as CSV (or JSON) on stdout stay machine-readable: the summary joins the headings on stderr.
    if (printedRows && listOptionsFrom(this.flags as Record<string, unknown>, false).output !== 'table') this.note(renderList(rows, COLUMNS, { output: 'table' }))
    else this.printList(rows, COLUMNS, 'No tenants.')
    this.note(`${rows.length - failed} tenant(s) ${dryRun ? 'ran the script (rolled back)' : 'done'}, ${failed} failed.`)
    return { file: this.flags.file, dryRun, tenants: rows, failed }
  }

  /** Each result set under its heading; in CSV the headings go to stderr, so stdout holds only rows. */
  private printResultSets(rows: SqlExecRow[]): boolean {
    let printed = false
    const options = listOptionsFrom(this.flags as Record<string, unknown>, this.color)
    for (const row of rows) {
      for (const set of row.results) {
        if (set.truncated) this.warning(`${row.tenant}, statement ${set.statement} (line ${set.line}): ${set.rowCount} rows, only the first ${set.rows.length} kept; raise --row-limit to see more.`)
        if (this.jsonEnabled()) continue
        const heading = resultSetHeading(row.tenant, set)
        const text = renderResultSet(set, options)
        printed = true
        if (options.output === 'table') this.log(`${heading}\n${text || '(no rows)'}\n`)
        else {
          this.note(heading)
          if (text) this.log(`${text}\n`)
        }
      }
    }
    return printed
  }
}
