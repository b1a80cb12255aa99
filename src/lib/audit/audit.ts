import os from 'node:os'
import type { Knex } from 'knex'

export interface AuditEntry {
  profile?: string
  tenant?: string
  command: string
  args: Record<string, unknown>
  outcome: 'ok' | 'error'
  exitCode: number
  error?: string
  durationMs: number
}

export interface AuditRecord extends Omit<AuditEntry, 'args'> {
  id: string
  at: Date
  dbUser: string
  osUser: string | null
  args: Record<string, unknown>
}

const SECRET_KEY = /pass(word)?|secret|token|credential|api[-_]?key|private/i
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi

/** Flags and arguments with anything secret removed: secret-looking keys and URL passwords. */
export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== false) return '[redacted]'
  if (typeof value === 'string') return value.replace(URL_PASSWORD, '$1[redacted]@')
  if (Array.isArray(value)) return value.map((v) => redact(v))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]))
  }
  return value
}

/** Write one audit record through the registry's function, which stamps the database user itself. */
export async function recordAudit(knex: Knex, entry: AuditEntry): Promise<void> {
  await knex.raw('select erp.record_audit(?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)', [
    os.userInfo().username,
    entry.profile ?? null,
    entry.tenant ?? null,
    entry.command,
    JSON.stringify(redact(entry.args)),
    entry.outcome,
    entry.exitCode,
    entry.error ? String(redact(entry.error)).slice(0, 2000) : null,
    Math.round(entry.durationMs),
  ])
}

export interface AuditQuery {
  tenant?: string
  command?: string
  outcome?: 'ok' | 'error'
  since?: Date
  limit?: number
}

export async function listAudit(knex: Knex, query: AuditQuery): Promise<AuditRecord[]> {
  const q = knex
    .withSchema('erp')
    .from('audit_log')
    .select({
      id: 'id', at: 'at', dbUser: 'db_user', osUser: 'os_user', profile: 'profile', tenant: 'tenant',
      command: 'command', args: 'args', outcome: 'outcome', exitCode: 'exit_code', error: 'error',
      durationMs: 'duration_ms',
    })
    .orderBy('id', 'desc')
    .limit(query.limit ?? 50)
  if (query.tenant) q.where('tenant', query.tenant)
  if (query.command) q.where('command', query.command)
  if (query.outcome) q.where('outcome', query.outcome)
  if (query.since) q.where('at', '>=', query.since)
  return q
}
