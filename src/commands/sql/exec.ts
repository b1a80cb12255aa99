import { Flags } from '@oclif/core'
import fs from 'node:fs/promises'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, dryRunFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { checkScript, runScriptInTenants } from '../../lib/sql/exec.js'

export interface SqlExecRow {
  tenant: string
  status: 'ok' | 'failed' | 'rolled back'
  statements: number
  rows: number
  error?: string
  durationMs: number
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
  { key: 'durationMs', header: 'ms', align: 'right' },
]

export default class SqlExec extends BaseCommand<typeof SqlExec> {
  static summary = 'Run an ad-hoc SQL script inside one tenant schema or all of them'
  static description =
    "Each tenant runs the script in its own transaction, with search_path set to its schema, on a session logged in as " +
    "the tenant's owner role: nothing in the script can reach beyond that tenant's grants. " +
    'A failure in one tenant rolls back that tenant only and is reported. --dry-run runs the script and rolls it back. ' +
    'Transaction control (BEGIN, COMMIT, ROLLBACK…) and role changes (SET ROLE, SET SESSION AUTHORIZATION) are refused, ' +
    'with their lines, before anything runs. Exit code 1 if any tenant failed.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --file add_tenant_fields_2024.sql --all-tenants --dry-run',
    '<%= config.bin %> <%= command.id %> --file fix.sql --tenant acme --json',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    file: Flags.file({ description: 'The SQL script', required: true, char: 'f' }),
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    concurrency: concurrencyFlag,
    'dry-run': dryRunFlag,
  }

  async run(): Promise<SqlExecResult> {
    const statements = checkScript(await fs.readFile(this.flags.file, 'utf8'), this.flags.file)
    const db = await this.db({ poolMax: this.flags.concurrency + 1 })
    const tenants = await this.selectedTenants(this.flags)
    const dryRun = this.flags['dry-run']
    const outcomes = await runScriptInTenants(db, tenants.map((t) => t.slug), statements, { dryRun, concurrency: this.flags.concurrency })
    const rows: SqlExecRow[] = outcomes.map((o) => ({
      tenant: o.tenant,
      status: !o.ok ? 'failed' : dryRun ? 'rolled back' : 'ok',
      statements: o.result?.statements.length ?? 0,
      rows: o.result?.statements.reduce((n, s) => n + (s.rowCount ?? 0), 0) ?? 0,
      error: o.error,
      durationMs: o.durationMs,
    }))
    const failed = rows.filter((r) => r.status === 'failed').length
    if (failed) this.exitStatus = ExitCode.FAILURE
    this.printList(rows, COLUMNS, 'No tenants.')
    this.note(`${rows.length - failed} tenant(s) ${dryRun ? 'ran the script (rolled back)' : 'done'}, ${failed} failed.`)
    return { file: this.flags.file, dryRun, tenants: rows, failed }
  }
}
