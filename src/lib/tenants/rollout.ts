import type { Knex } from 'knex'

import { notFound, usageError } from '../cli/errors.js'
import type { Db } from '../db/connect.js'
import { requireAdmin, requireRegistryWrite } from '../db/registry.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { MigrationLockBusy } from '../db/migrator.js'
import { DEFAULT_LIMITS, migrateListedTenant, needsMigrating, tenantMigrationStatus, type MigrationLimits } from './migrate.js'
import { listTenants, type Tenant } from './tenant.js'

/**
 * A fleet rollout of pending tenant migrations: canary tenants first, then waves, stopping when
 * failures pass a threshold. The run is recorded in the registry (erp.migration_runs and one
 * erp.migration_run_items row per tenant that had work), so `--retry-failed` and `--continue` can
 * pick up from it, and an operator can see afterwards which tenants succeeded, failed with what, or
 * were not reached. Tenants with nothing pending are decided from one status query and not touched.
 */

export type ItemState = 'succeeded' | 'failed' | 'lock_timeout' | 'not_reached'
export type RunStatus = 'running' | 'completed' | 'completed_with_failures' | 'stopped'
/** As listed: a 'running' run whose process is gone (killed, crashed) shows as 'interrupted'. */
export type ListedRunStatus = RunStatus | 'interrupted'

export interface RolloutItem {
  tenant: string
  /** 0 is the canary wave. */
  wave: number
  state: ItemState
  attempts: number
  /** How many attempts ended in a lock timeout (each was retried later in the run while attempts remained). */
  lockTimeouts: number
  applied: string[]
  error?: string
  durationMs: number
}

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
  counts: Record<ItemState, number> & { up_to_date: number }
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
  const todo = status.filter(needsMigrating).map((s) => s.tenant)
  const upToDate = status.filter((s) => !needsMigrating(s)).map((s) => s.tenant)
  const waves = planWaves(todo, options.canary, options.wave)

  const carried = options.carried ?? []
  const runId = options.record ? await startRun(db.knex, options, waves, carried, upToDate.length) : undefined
  const alive = runId === undefined ? undefined : await holdRunLock(db.knex, runId)
  try {
    return await execute(db, tenants, options, { todo, upToDate, waves, carried, runId })
  } finally {
    await alive?.release()
  }
}

async function execute(
  db: Db,
  tenants: Tenant[],
  options: RolloutOptions,
  plan: { todo: string[]; upToDate: string[]; waves: string[][]; carried: RolloutItem[]; runId: number | undefined },
): Promise<RolloutResult> {
  const { todo, upToDate, waves, carried, runId } = plan
  const recorder = new Recorder(db.knex, runId)
  const items = new Map<string, RolloutItem>()
  const stop = new Stop()
  let finished = 0
  const failures = () => [...items.values()].filter((i) => i.state === 'failed' || i.state === 'lock_timeout').length
  const overThreshold = () => options.maxFailures !== undefined && failures() > options.maxFailures

  const bySlug = new Map(tenants.map((t) => [t.slug, t]))
  const spread = runId === undefined ? 0 : await concurrentRuns(db.knex, runId)
  for (const [index, wave] of waves.entries()) {
    if (stop.reason) break
    const waveNo = options.canary > 0 ? index : index + 1
    let queue = rotate(wave, spread)
    for (let round = 1; queue.length > 0; round++) {
      const retry: string[] = []
      let lockTimedOut = false
      const stillPending = pendingCheck(db, queue, bySlug, round > 1 || index > 0)
      await pool(queue, options.concurrency, () => stop.reason !== undefined, async (slug, position) => {
        if (!(await stillPending(position))) {
          // Another run (started at the same time) has migrated it since our status query.
          const item: RolloutItem = { tenant: slug, wave: waveNo, state: 'succeeded', attempts: items.get(slug)?.attempts ?? 0, lockTimeouts: items.get(slug)?.lockTimeouts ?? 0, applied: [], durationMs: 0 }
          items.set(slug, item)
          await recorder.add(item)
          options.onTenantDone?.(item, ++finished, todo.length)
          return
        }
        // First round: skip a tenant another run is migrating right now and come back to it
        // (by then it is usually done); later rounds wait for its lock, up to lock_timeout.
        const item = await attempt(db, bySlug.get(slug)!, waveNo, items.get(slug), options.limits, round === 1 ? 'try' : 'wait')
        if (item === 'busy') {
          retry.push(slug)
          return
        }
        items.set(slug, item)
        if (item.state === 'lock_timeout' && item.attempts < options.lockAttempts) {
          lockTimedOut = true
          retry.push(slug)
          return
        }
        await recorder.add(item)
        options.onTenantDone?.(item, ++finished, todo.length)
        if (!stop.reason && overThreshold()) {
          stop.reason = `${failures()} tenant(s) failed, more than --max-failures ${options.maxFailures}`
        }
      })
      queue = retry
      if (queue.length > 0 && stop.reason) {
        // Out of time for them: those that timed out stay lock-timed-out, the others not reached.
        for (const slug of queue) {
          const item = items.get(slug)
          if (!item) continue
          await recorder.add(item)
          options.onTenantDone?.(item, ++finished, todo.length)
        }
        queue = []
      }
      if (queue.length > 0 && lockTimedOut) await sleep(options.retryDelayMs * round)
    }
    await recorder.flush()
    if (!stop.reason && waveNo === 0 && wave.some((slug) => items.get(slug)!.state !== 'succeeded')) {
      stop.reason = 'a canary tenant failed: the rollout stopped before the first wave'
    }
  }

  for (const [index, wave] of waves.entries()) {
    const waveNo = options.canary > 0 ? index : index + 1
    for (const slug of wave) {
      if (!items.has(slug)) {
        items.set(slug, { tenant: slug, wave: waveNo, state: 'not_reached', attempts: 0, lockTimeouts: 0, applied: [], durationMs: 0 })
      }
    }
  }
  await recorder.flush()
  const ordered = [...waves.flat().map((slug) => items.get(slug)!), ...carried]
  const counts = { succeeded: 0, failed: 0, lock_timeout: 0, not_reached: 0, up_to_date: upToDate.length }
  for (const item of ordered) counts[item.state]++
  const runStatus: RunStatus = stop.reason
    ? 'stopped'
    : counts.failed + counts.lock_timeout > 0 ? 'completed_with_failures' : 'completed'
  if (runId !== undefined) await finishRun(db.knex, runId, runStatus, stop.reason)
  return { runId, status: runStatus, stopReason: stop.reason, resumedFrom: options.resumedFrom, upToDate, items: ordered, counts }
}

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

async function attempt(
  db: Db,
  tenant: Tenant,
  wave: number,
  previous: RolloutItem | undefined,
  limits: MigrationLimits,
  lock: 'try' | 'wait',
): Promise<RolloutItem | 'busy'> {
  const started = performance.now()
  const base = { tenant: tenant.slug, wave, attempts: (previous?.attempts ?? 0) + 1, lockTimeouts: previous?.lockTimeouts ?? 0 }
  const elapsed = () => Math.round(performance.now() - started) + (previous?.durationMs ?? 0)
  try {
    const outcome = await migrateListedTenant(db, tenant, limits, { lock })
    return { ...base, state: 'succeeded', applied: outcome.applied, durationMs: elapsed() }
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

const runLockKey = (id: number) => `erp.migrate-run:${id}`

/**
 * A run holds a session-level advisory lock on a connection of its own for as long as it works, so
 * a 'running' row whose lock is free belongs to a process that is gone.
 */
async function holdRunLock(knex: Knex, runId: number): Promise<{ release(): Promise<void> }> {
  const conn = (await knex.client.acquireConnection()) as { query(sql: string, params: unknown[]): Promise<unknown> }
  try {
    await conn.query('select pg_advisory_lock(hashtextextended($1, 0))', [runLockKey(runId)])
  } catch (err) {
    await knex.client.releaseConnection(conn)
    throw err
  }
  return {
    async release() {
      try {
        await conn.query('select pg_advisory_unlock(hashtextextended($1, 0))', [runLockKey(runId)])
      } finally {
        await knex.client.releaseConnection(conn)
      }
    },
  }
}

/** Ids of the runs marked running whose process still holds its run lock. */
async function liveRuns(knex: Knex): Promise<Set<number>> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `select id, not pg_try_advisory_xact_lock(hashtextextended(?::text || id, 0)) as alive
         from erp.migration_runs where status = 'running' and started_at > now() - interval '7 days'`,
      ['erp.migrate-run:'],
    )
    return new Set(rows.filter((r: { alive: boolean }) => r.alive).map((r: { id: string }) => Number(r.id)))
  })
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

// ---------------------------------------------------------------------------------------------
// The run record

async function startRun(
  knex: Knex,
  options: RolloutOptions,
  waves: string[][],
  carried: RolloutItem[],
  upToDate: number,
): Promise<number> {
  return knex.transaction(async (trx) => {
    const [{ id }] = await trx
      .withSchema('erp')
      .table('migration_runs')
      .insert({
        resumed_from: options.resumedFrom ?? null,
        up_to_date: upToDate,
        options: JSON.stringify({
          canary: options.canary,
          wave: options.wave,
          maxFailures: options.maxFailures ?? null,
          concurrency: options.concurrency,
          lockTimeoutMs: options.limits.lockTimeoutMs,
          statementTimeoutMs: options.limits.statementTimeoutMs,
          lockAttempts: options.lockAttempts,
        }),
      })
      .returning('id')
    const rows = [
      ...waves.flatMap((wave, index) => wave.map((tenant) => ({ run_id: id, tenant, wave: options.canary > 0 ? index : index + 1 }))),
      ...carried.map((item) => ({
        run_id: id, tenant: item.tenant, wave: item.wave, state: item.state, attempts: item.attempts,
        lock_timeouts: item.lockTimeouts, error: item.error ?? null, duration_ms: item.durationMs,
      })),
    ].map((row, position) => ({ ...row, position }))
    for (let i = 0; i < rows.length; i += 5000) await trx.withSchema('erp').table('migration_run_items').insert(rows.slice(i, i + 5000))
    return Number(id)
  })
}

/**
 * Writes finished items to the run record in batches (one UPDATE per 50 tenants, and at the end of
 * every wave). Items of a crashed run that were not written yet stay 'pending', which --continue
 * reads as not reached: migrating them again finds nothing pending and costs one status check.
 */
class Recorder {
  private buffer: RolloutItem[] = []
  constructor(private readonly knex: Knex, private readonly runId: number | undefined) {}

  async add(item: RolloutItem): Promise<void> {
    if (this.runId === undefined) return
    this.buffer.push(item)
    if (this.buffer.length >= 50) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.runId === undefined || this.buffer.length === 0) return
    const items = this.buffer
    this.buffer = []
    await this.knex.raw(
      `update erp.migration_run_items i
          set state = v.state, attempts = v.attempts, lock_timeouts = v.lock_timeouts, applied = v.applied,
              error = v.error, duration_ms = v.duration_ms, finished_at = now()
         from jsonb_to_recordset(?::jsonb) as v(tenant text, state text, attempts int, lock_timeouts int,
                                                applied text[], error text, duration_ms int)
        where i.run_id = ? and i.tenant = v.tenant`,
      [
        JSON.stringify(items.map((i) => ({
          tenant: i.tenant, state: i.state, attempts: i.attempts, lock_timeouts: i.lockTimeouts,
          applied: i.applied, error: i.error ?? null, duration_ms: i.durationMs,
        }))),
        this.runId,
      ],
    )
  }
}

async function finishRun(knex: Knex, runId: number, status: RunStatus, stopReason: string | undefined): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.withSchema('erp').table('migration_run_items').where({ run_id: runId, state: 'pending' }).update({ state: 'not_reached' })
    await trx
      .withSchema('erp')
      .table('migration_runs')
      .where('id', runId)
      .update({ status, stop_reason: stopReason ?? null, finished_at: trx.fn.now() })
  })
}

export interface RunSummary {
  id: number
  startedAt: Date
  finishedAt: Date | null
  dbUser: string
  status: ListedRunStatus
  stopReason: string | null
  resumedFrom: number | null
  upToDate: number
  succeeded: number
  failed: number
  lockTimeout: number
  notReached: number
  options: Record<string, unknown>
}

function runsQuery(knex: Knex) {
  return knex
    .withSchema('erp')
    .from('migration_runs as r')
    .select({
      id: 'r.id', startedAt: 'r.started_at', finishedAt: 'r.finished_at', dbUser: 'r.db_user', status: 'r.status',
      stopReason: 'r.stop_reason', resumedFrom: 'r.resumed_from', upToDate: 'r.up_to_date', options: 'r.options',
    })
    .select(
      knex.raw(`(select count(*) filter (where state = 'succeeded') from erp.migration_run_items i where i.run_id = r.id)::int as succeeded`),
      knex.raw(`(select count(*) filter (where state = 'failed') from erp.migration_run_items i where i.run_id = r.id)::int as failed`),
      knex.raw(`(select count(*) filter (where state = 'lock_timeout') from erp.migration_run_items i where i.run_id = r.id)::int as "lockTimeout"`),
      knex.raw(`(select count(*) filter (where state in ('not_reached', 'pending')) from erp.migration_run_items i where i.run_id = r.id)::int as "notReached"`),
    )
}

const toSummary = (row: RunSummary): RunSummary => ({ ...row, id: Number(row.id), resumedFrom: row.resumedFrom === null ? null : Number(row.resumedFrom) })

/** Recorded runs, newest first. */
export async function listRuns(db: Db, limit = 20): Promise<RunSummary[]> {
  requireAdmin(db.scope, 'Reading migration runs')
  const rows = await runsQuery(db.knex).orderBy('r.id', 'desc').limit(limit)
  return markInterrupted(db.knex, rows.map(toSummary))
}

async function markInterrupted<T extends RunSummary>(knex: Knex, runs: T[]): Promise<T[]> {
  if (!runs.some((r) => r.status === 'running')) return runs
  const live = await liveRuns(knex)
  return runs.map((r) => (r.status === 'running' && !live.has(r.id) ? { ...r, status: 'interrupted' } : r))
}

export interface RunDetail extends RunSummary {
  items: RolloutItem[]
}

/** One run with its per-tenant items; the latest run when `id` is undefined. */
export async function getRun(db: Db, id?: number): Promise<RunDetail> {
  requireAdmin(db.scope, 'Reading migration runs')
  const query = runsQuery(db.knex)
  const row = await (id === undefined ? query.orderBy('r.id', 'desc') : query.where('r.id', id)).first()
  if (!row) {
    throw notFound(id === undefined ? 'No migration run recorded yet.' : `No migration run ${id}`, {
      actions: ['List runs with: erp migrate runs'],
    })
  }
  const items = await db.knex
    .withSchema('erp')
    .from('migration_run_items')
    .where('run_id', row.id)
    .orderBy('position')
    .select({
      tenant: 'tenant', wave: 'wave', state: 'state', attempts: 'attempts', lockTimeouts: 'lock_timeouts',
      applied: 'applied', error: 'error', durationMs: 'duration_ms',
    })
  const [summary] = await markInterrupted(db.knex, [toSummary(row)])
  return {
    ...summary,
    items: items.map((i) => ({
      ...i,
      state: i.state === 'pending' ? 'not_reached' : i.state,
      error: i.error ?? undefined,
      durationMs: i.durationMs ?? 0,
    })),
  }
}

/**
 * The tenants to pick up from the latest run: its failed (and lock-timed-out) tenants for
 * --retry-failed, those it never reached for --continue. Deleted tenants are left out.
 */
export async function tenantsToResume(
  db: Db,
  which: { retryFailed: boolean; continue: boolean },
): Promise<{ runId: number; tenants: Tenant[]; carried: RolloutItem[] }> {
  requireAdmin(db.scope, 'Resuming a migration run')
  if (!which.retryFailed && !which.continue) throw usageError('Pass --retry-failed, --continue, or both.')
  const last = await db.knex.withSchema('erp').from('migration_runs').orderBy('id', 'desc').first('id', 'status')
  if (!last) throw notFound('No migration run recorded yet: there is nothing to pick up.', { actions: ['Start one: erp migrate latest --all-tenants'] })
  const states = [
    ...(which.retryFailed ? ['failed', 'lock_timeout'] : []),
    ...(which.continue ? ['not_reached', 'pending'] : []),
  ]
  const { items } = await getRun(db, Number(last.id))
  const live = new Map((await listTenants(db.knex, db.scope)).map((t) => [t.slug, t]))
  const left = items.filter((i) => i.state !== 'succeeded' && live.has(i.tenant))
  return {
    runId: Number(last.id),
    tenants: left.filter((i) => states.includes(i.state)).map((i) => live.get(i.tenant)!),
    carried: left.filter((i) => !states.includes(i.state)),
  }
}

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
  const { selectTenants } = await import('./migrate.js')
  const tenants = await selectTenants(db, selection)
  return rollout(db, tenants, { ...options, record: !!selection.all })
}
