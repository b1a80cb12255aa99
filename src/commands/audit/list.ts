import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { listResult, type ListResult } from '../../lib/cli/list-result.js'
import { timestampFrom } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import type { Column } from '../../lib/cli/render.js'
import { listAudit, type AuditRecord } from '../../lib/audit/audit.js'
import { requireAdmin } from '../../lib/db/registry.js'

export type AuditListResult = ListResult<AuditRecord>

const COLUMNS: Column<AuditRecord>[] = [
  { key: 'id', align: 'right' },
  { key: 'at' },
  { key: 'dbUser' },
  { key: 'osUser' },
  { key: 'profile' },
  { key: 'tenant' },
  { key: 'command' },
  { key: 'outcome' },
  { key: 'exitCode', align: 'right' },
  { key: 'durationMs', align: 'right' },
  { key: 'args', get: (r) => JSON.stringify(r.args) },
  { key: 'error' },
]

export default class AuditList extends BaseCommand<typeof AuditList> {
  static summary = 'Read the audit log: who changed what, when, with which outcome'
  static description = 'Newest first. Arguments are stored with secrets removed.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme --limit 20',
    '<%= config.bin %> <%= command.id %> --outcome error --since 2026-11-01 --json',
  ]
  static flags = {
    ...listFlags,
    tenant: Flags.string({ description: 'Only records about this tenant', char: 't' }),
    command: Flags.string({ description: 'Only this command id, e.g. "tenants create"' }),
    outcome: Flags.string({ description: 'Only this outcome', options: ['ok', 'error'] }),
    since: Flags.string({ description: 'Only records at or after this date/time (ISO 8601)' }),
    limit: Flags.integer({ description: 'At most this many records', default: 50, min: 1, max: 10_000 }),
  }

  async run(): Promise<AuditListResult> {
    const db = await this.db()
    requireAdmin(db.scope, 'Reading the audit log')
    const since = timestampFrom('--since', this.flags.since)
    const records = await listAudit(db.knex, {
      tenant: this.flags.tenant,
      command: this.flags.command,
      outcome: this.flags.outcome as 'ok' | 'error' | undefined,
      since,
      limit: this.flags.limit,
    })
    this.printList(records, COLUMNS, 'No audit records.')
    return listResult(records)
  }
}
