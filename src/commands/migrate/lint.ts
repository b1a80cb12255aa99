import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { lintMigrations, type LintFinding, type LintResult } from '../../lib/db/migration-lint.js'

export type MigrateLintResult = LintResult

const COLUMNS: Column<LintFinding>[] = [
  { key: 'migration' },
  { key: 'rule' },
  { key: 'table' },
  { key: 'rows', align: 'right' },
  { key: 'message' },
  { key: 'statement' },
]

export default class MigrateLint extends BaseCommand<typeof MigrateLint> {
  static summary = 'Flag DDL in pending tenant migrations that rewrites or locks a large table'
  static description =
    'Runs the migrations in a scratch schema inside a transaction that is rolled back (no tenant is touched), ' +
    'captures the SQL they send, and flags: column type changes and columns with volatile defaults (table ' +
    'rewrites, also detected from PostgreSQL itself), indexes built without CONCURRENTLY, SET NOT NULL, constraints ' +
    'validated while writes are blocked, NOT NULL columns without a default, explicit locks. A table counts as large ' +
    'above --row-threshold rows in its largest tenant (catalog estimates). Exit code 1 when anything is flagged.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --file migrations/tenant/20261201000000_add_vat.js',
    '<%= config.bin %> <%= command.id %> --row-threshold 10000 --json',
  ]
  static flags = {
    ...listFlags,
    file: Flags.string({ description: 'Lint this migration file instead of the pending ones', helpValue: '<path>' }),
    'row-threshold': Flags.integer({ description: 'Rows above which a table counts as large', default: 100_000, min: 0 }),
  }

  async run(): Promise<MigrateLintResult> {
    const result = await lintMigrations(await this.db(), { file: this.flags.file, rowThreshold: this.flags['row-threshold'] })
    if (result.findings.length) this.exitStatus = ExitCode.FAILURE
    this.printList(result.findings, COLUMNS, '')
    this.note(
      result.migrations.length === 0
        ? 'No pending migrations to lint.'
        : `${result.migrations.length} migration(s), ${result.statements} statement(s): ${result.findings.length} finding(s).`,
    )
    return result
  }
}
