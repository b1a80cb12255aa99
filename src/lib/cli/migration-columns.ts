import type { Column } from './render.js'
import type { TenantOutcome } from '../tenants/fleet.js'
import type { MigrationOutcome } from '../db/migrator.js'

export interface TenantMigrationRow {
  tenant: string
  status: 'ok' | 'failed'
  applied: string[]
  error?: string
  durationMs: number
}

export const toMigrationRow = (o: TenantOutcome<MigrationOutcome>): TenantMigrationRow => ({
  tenant: o.tenant,
  status: o.ok ? 'ok' : 'failed',
  applied: o.result?.applied ?? [],
  error: o.error,
  durationMs: o.durationMs,
})

export const MIGRATION_RUN_COLUMNS: Column<TenantMigrationRow>[] = [
  { key: 'tenant' },
  { key: 'status' },
  { key: 'applied', get: (r) => (r.applied.length ? r.applied.join(' ') : '-') },
  { key: 'error' },
  { key: 'durationMs', header: 'ms', align: 'right' },
]
