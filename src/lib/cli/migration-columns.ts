import type { Column } from './render.js'

export interface TenantMigrationRow {
  tenant: string
  /** ok (also: nothing was pending), failed, lock_timeout (after every attempt), not_reached (the rollout stopped first). */
  status: 'ok' | 'failed' | 'lock_timeout' | 'not_reached'
  applied: string[]
  error?: string
  durationMs: number
  /** Rollouts: the wave (0 = canary), attempts made, and how many of them hit the lock timeout. */
  wave?: number
  attempts?: number
  lockTimeouts?: number
  /** Rollouts: pending at the run's start, but migrated first by this other recorded run. */
  doneBy?: number
}

/** Rollout rows add the wave and the attempts. */
export const ROLLOUT_COLUMNS: Column<TenantMigrationRow>[] = [
  { key: 'tenant' },
  { key: 'wave', align: 'right' },
  { key: 'status' },
  { key: 'attempts', align: 'right' },
  { key: 'lockTimeouts', align: 'right' },
  { key: 'applied', get: (r) => (r.applied.length ? r.applied.join(' ') : '-') },
  { key: 'doneBy', align: 'right' },
  { key: 'error' },
  { key: 'durationMs', align: 'right' },
]
