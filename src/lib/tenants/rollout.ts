import type { Knex } from 'knex'

import type { Db } from '../db/connect.js'
import { requireRegistryWrite } from '../db/registry.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { MigrationLockBusy } from '../db/migrator.js'
import { DEFAULT_LIMITS, migrateListedTenant, needsMigrating, tenantMigrationStatus, type MigrationLimits } from './migrate.js'
import {
  finishRun, holdRunLock, liveRuns, recordItem, startRun, tenantsToResume, type ItemState, type RolloutItem,
  type RunStatus,
} from './run-record.js'
import type { Tenant } from './tenant.js'

/**
 * A fleet rollout of pending tenant migrations: canary tenants first, then waves, stopping when
 * failures pass a threshold. Tenants with nothing pending are decided from one status query and not
 * touched. A recorded run (run-record.ts) writes each tenant's outcome as it happens, a migrated
 * tenant's inside the transaction that migrates it, so `--retry-failed` and `--continue` can pick up
 * from it, and an operator can see which tenants this run migrated, which another run migrated
 * first, which failed with what, and which were not reached.
 */

export type { ItemState, RolloutItem, RunStatus } from './run-record.js'

export interface RolloutOptions {
  concurrency: number
  /** Tenants migrated first, on their own; any failure among them stops the rollout. 0: none. */
  canary: number
  /** Tenants per wave after the canary; 0: all in one wave. */
  wave: number
  /** Stop dispatching when more tenants than this have failed; undefined: never stop. */
  maxFailures?: number
  limits: MigrationLimits
  /** Attempts per tenant when its lock times out (1 = no retry). */
  lockAttempts: number
  /** Pause before retrying tenants whose lock timed out, per retry round (grows linearly). */
  retryDelayMs: number
  /** Record the run in the registry (admin fleet runs). */
  record: boolean
  resumedFrom?: number
  /**
   * Items of the resumed run that this run does not attempt, carried over as they were (not reached
   * on --retry-failed alone, failed on --continue alone), so the latest run always holds the whole
   * picture and the next --retry-failed / --continue still finds them.
   */
  carried?: RolloutItem[]
  onTenantDone?: (item: RolloutItem, finished: number, total: number) => void
}

export interface RolloutResult {
  runId?: number
  status: RunStatus
  stopReason?: string
  resumedFrom?: number
  /** Tenants that had nothing pending. */
  upToDate: string[]
  items: RolloutItem[]
  /** succeeded: migrated by this run; up_to_date: nothing pending at the start, or migrated by another run first. */
  counts: Record<ItemState, number>
}

export const ROLLOUT_DEFAULTS = {
  canary: 0,
  wave: 0,
  lockAttempts: 3,
  retryDelayMs: 1_000,
  limits: DEFAULT_LIMITS,
}

class Stop {
  reason?: string
}

/** Migrate `tenants` (slug order is kept) in canary + waves. */
export async function rollout(db: Db, tenants: Tenant[], options: RolloutOptions): Promise<RolloutResult> {
  const status = await tenantMigrationStatus(db, tenants)
  // A tenant with migrations this erp does not know is attempted too: migrateUp refuses it, and
  // the run reports it failed with the reason, rather than "up to date".
  const pending = new Map(status.filter(needsMigrating).map((s) => [s.tenant, s.pending]))
  const upToDate = status.filter((s) => !needsMigrating(s)).map((s) => s.tenant)
  const waves = planWaves([...pending.keys()], options.canary, options.wave)

  const carried = options.carried ?? []
  const runId = options.record
    ? await startRun(db.knex, {
        resumedFrom: options.resumedFrom,
        options: {
          canary: options.canary,
          wave: options.wave,
          maxFailures: options.maxFailures ?? null,
          concurrency: options.concurrency,
          lockTimeoutMs: options.limits.lockTimeoutMs,
          statementTimeoutMs: options.limits.statementTimeoutMs,
          lockAttempts: options.lockAttempts,
        },
        waves: waves.map((tenants, index) => ({ wave: waveNumber(options, index), tenants })),
        carried,
        upToDate: upToDate.length,
      })
    : undefined
  const alive = runId === undefined ? undefined : await holdRunLock(db.knex, runId)
  try {
    return await execute(db, tenants, options, { pending, upToDate, waves, carried, runId })
  } finally {
    await alive?.release()
  }
}

const waveNumber = (options: { canary: number }, index: number) => (options.canary > 0 ? index : index + 1)

async function execute(
  db: Db,
  tenants: Tenant[],
  options: RolloutOptions,
  plan: { pending: Map<string, string[]>; upToDate: string[]; waves: string[][]; carried: RolloutItem[]; runId: number | undefined },
): Promise<RolloutResult> {
  const { pending, upToDate, waves, carried, runId } = plan
  const items = new Map<string, RolloutItem>()
  const stop = new Stop()
  let finished = 0
  const failures = () => [...items.values()].filter((i) => i.state === 'failed' || i.state === 'lock_timeout').length
  const overThreshold = () => options.maxFailures !== undefined && failures() > options.maxFailures
  const record: RecordItem = async (item, q) => {
    if (runId === undefined) return item
    const doneBy = await recordItem(q, runId, item, pending.get(item.tenant) ?? [])
    return doneBy === undefined ? item : { ...item, doneBy }
  }
  const report = (item: RolloutItem) => {
    items.set(item.tenant, item)
    options.onTenantDone?.(item, ++finished, pending.size)
  }
  /** An outcome known outside any migration transaction (failed, timed out, migrated by another run). */
  const settle = async (item: RolloutItem) => report(await record(item, db.knex))

  const bySlug = new Map(tenants.map((t) => [t.slug, t]))
  const spread = runId === undefined ? 0 : await concurrentRuns(db.knex, runId)
  for (const [index, wave] of waves.entries()) {
    if (stop.reason) break
    const waveNo = waveNumber(options, index)
    let queue = rotate(wave, spread)
    for (let round = 1; queue.length > 0; round++) {
      const retry: string[] = []
      let lockTimedOut = false
      const stillPending = pendingCheck(db, queue, bySlug, round > 1 || index > 0)
      await pool(queue, options.concurrency, () => stop.reason !== undefined, async (slug, position) => {
        const previous = items.get(slug)
        if (!(await stillPending(position))) {
          // Another run (started at the same time) has migrated it since our status query.
          await settle({
            tenant: slug, wave: waveNo, state: 'up_to_date', attempts: previous?.attempts ?? 0,
            lockTimeouts: previous?.lockTimeouts ?? 0, applied: [], durationMs: previous?.durationMs ?? 0,
          })
          return
        }
        // First round: skip a tenant another run is migrating right now and come back to it
        // (by then it is usually done); later rounds wait for its lock, up to lock_timeout.
        const item = await attempt(db, bySlug.get(slug)!, waveNo, previous, options.limits, round === 1 ? 'try' : 'wait', record)
        if (item === 'busy') {
          retry.push(slug)
          return
        }
        if (item.state === 'lock_timeout' && item.attempts < options.lockAttempts) {
          items.set(slug, item)
          lockTimedOut = true
          retry.push(slug)
          return
        }
        // A migrated (or found up to date) tenant was recorded in its own transaction; the rest now.
        if (isDone(item)) report(item)
        else await settle(item)
        if (!stop.reason && overThreshold()) {
          stop.reason = `${failures()} tenant(s) failed, more than --max-failures ${options.maxFailures}`
        }
      })
      queue = retry
      if (queue.length > 0 && stop.reason) {
        // Out of time for them: those that timed out stay lock-timed-out, the others not reached.
        for (const slug of queue) {
          const item = items.get(slug)
          if (item) await settle(item)
        }
        queue = []
      }
      if (queue.length > 0 && lockTimedOut) await sleep(options.retryDelayMs * round)
    }
    if (!stop.reason && waveNo === 0 && wave.some((slug) => !isDone(items.get(slug)))) {
      stop.reason = 'a canary tenant failed: the rollout stopped before the first wave'
    }
  }

  for (const [index, wave] of waves.entries()) {
    for (const slug of wave) {
      if (!items.has(slug)) {
        items.set(slug, { tenant: slug, wave: waveNumber(options, index), state: 'not_reached', attempts: 0, lockTimeouts: 0, applied: [], durationMs: 0 })
      }
    }
  }
  const ordered = [...waves.flat().map((slug) => items.get(slug)!), ...carried]
  const counts = { succeeded: 0, up_to_date: upToDate.length, failed: 0, lock_timeout: 0, not_reached: 0 }
  for (const item of ordered) counts[item.state]++
  const runStatus: RunStatus = stop.reason
    ? 'stopped'
    : counts.failed + counts.lock_timeout > 0 ? 'completed_with_failures' : 'completed'
  if (runId !== undefined) await finishRun(db.knex, runId, runStatus, stop.reason)
  return { runId, status: runStatus, stopReason: stop.reason, resumedFrom: options.resumedFrom, upToDate, items: ordered, counts }
}

const isDone = (item: RolloutItem | undefined) => item?.state === 'succeeded' || item?.state === 'up_to_date'

/** The canary (first `canary` tenants), then waves of `wave` tenants (all the rest when 0). */
export function planWaves(slugs: string[], canary: number, wave: number): string[][] {
  const waves: string[][] = []
  let rest = slugs
  if (canary > 0) {
    waves.push(rest.slice(0, canary))
    rest = rest.slice(canary)
  }
  const size = wave > 0 ? wave : Math.max(rest.length, 1)
  for (let i = 0; i < rest.length; i += size) waves.push(rest.slice(i, i + size))
  return waves
}

/** Writes an item to the run's record on `q` and returns it as recorded (with `doneBy`). */
type RecordItem = (item: RolloutItem, q: Knex | Knex.Transaction) => Promise<RolloutItem>

/**
 * One attempt at a tenant. What it applied (or found already applied) is recorded inside the
 * migration's transaction, before it commits: after a kill, a tenant is recorded as migrated by
 * this run exactly when its migrations committed.
 */
async function attempt(
  db: Db,
  tenant: Tenant,
  wave: number,
  previous: RolloutItem | undefined,
  limits: MigrationLimits,
  lock: 'try' | 'wait',
  record: RecordItem,
): Promise<RolloutItem | 'busy'> {
  const started = performance.now()
  const base = { tenant: tenant.slug, wave, attempts: (previous?.attempts ?? 0) + 1, lockTimeouts: previous?.lockTimeouts ?? 0 }
  const elapsed = () => Math.round(performance.now() - started) + (previous?.durationMs ?? 0)
  let committed: RolloutItem | undefined
  try {
    await migrateListedTenant(db, tenant, limits, {
      lock,
      beforeCommit: async (trx, outcome) => {
        // Nothing applied: a concurrent run got there between our status check and our lock.
        const state = outcome.applied.length > 0 ? 'succeeded' : 'up_to_date'
        committed = await record({ ...base, state, applied: outcome.applied, durationMs: elapsed() }, trx)
      },
    })
    return committed!
  } catch (err) {
    if (err instanceof MigrationLockBusy) return 'busy'
    if (isLockTimeout(err)) {
      return { ...base, state: 'lock_timeout', lockTimeouts: base.lockTimeouts + 1, applied: [], error: (err as Error).message, durationMs: elapsed() }
    }
    return { ...base, state: 'failed', applied: [], error: (err as Error).message, durationMs: elapsed() }
  }
}

/** SQLSTATE 55P03 anywhere in the cause chain (the migrator and withTenant wrap driver errors). */
export function isLockTimeout(err: unknown): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (sqlStateOf(e) === SqlState.LOCK_NOT_AVAILABLE) return true
  }
  return false
}

/** Run `work` over `slugs`, `concurrency` at a time, dispatching nothing more once `stopped()`. */
async function pool(
  slugs: string[],
  concurrency: number,
  stopped: () => boolean,
  work: (slug: string, position: number) => Promise<void>,
) {
  let next = 0
  const worker = async () => {
    while (next < slugs.length && !stopped()) {
      const position = next++
      await work(slugs[position], position)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, slugs.length) }, worker))
}

const CHECK_CHUNK = 25

/**
 * Other runs in progress (started in the last 6 hours, so a killed run's row does not count
 * forever). Concurrent runs start each wave at a different point (golden-ratio spacing: 0, 0.62,
 * 0.24, 0.85 of the wave...), so each migrates a stretch of its own and then skips, a chunk per
 * query, what the others have done; the order of tenants within a wave carries no meaning.
 */
async function concurrentRuns(knex: Knex, runId: number): Promise<number> {
  const live = await liveRuns(knex)
  return [...live].filter((id) => id < runId).length
}

function rotate(wave: string[], spread: number): string[] {
  if (spread === 0 || wave.length < 2) return wave
  const offset = Math.floor(((spread * 0.6180339887) % 1) * wave.length)
  return [...wave.slice(offset), ...wave.slice(0, offset)]
}

/**
 * Whether the tenant at a queue position still has something pending, read in chunks of 25 tenants
 * (one query each) just before the chunk is dispatched. Concurrent runs of `migrate latest` walk
 * the fleet in the same order: without this, each would open a no-op transaction on every tenant
 * the others have already done. The first chunk of a run is known from its status query.
 */
function pendingCheck(db: Db, queue: string[], bySlug: Map<string, Tenant>, checkFirstChunk: boolean) {
  const chunks = new Map<number, Promise<Set<string>>>()
  return async (position: number): Promise<boolean> => {
    const chunk = Math.floor(position / CHECK_CHUNK)
    if (chunk === 0 && !checkFirstChunk) return true
    let pending = chunks.get(chunk)
    if (!pending) {
      const slugs = queue.slice(chunk * CHECK_CHUNK, (chunk + 1) * CHECK_CHUNK)
      pending = tenantMigrationStatus(db, slugs.map((slug) => bySlug.get(slug)!)).then(
        (status) => new Set(status.filter(needsMigrating).map((s) => s.tenant)),
      )
      chunks.set(chunk, pending)
    }
    return (await pending).has(queue[position])
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface FleetSelection {
  tenant?: string
  all?: boolean
  retryFailed?: boolean
  continue?: boolean
}

/**
 * `migrate latest`: one tenant, all tenants, or what the latest run left (failed / not reached).
 * Fleet runs (all tenants or a resumed run) are recorded; a single tenant's is not.
 */
export async function migrateLatest(
  db: Db,
  selection: FleetSelection,
  options: Omit<RolloutOptions, 'record' | 'resumedFrom'>,
): Promise<RolloutResult> {
  await requireRegistryWrite(db, 'Migrating tenants')
  if (selection.retryFailed || selection.continue) {
    const { runId, tenants, carried } = await tenantsToResume(db, { retryFailed: !!selection.retryFailed, continue: !!selection.continue })
    return rollout(db, tenants, { ...options, record: true, resumedFrom: runId, carried })
  }
  const { selectTenants } = await import('./selection.js')
  const tenants = await selectTenants(db, selection)
  return rollout(db, tenants, { ...options, record: !!selection.all })
}
