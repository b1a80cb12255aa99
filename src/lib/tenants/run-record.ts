import type { Knex } from 'knex'

import { notFound, usageError } from '../errors.js'
import type { Db } from '../db/connect.js'
import { requireAdmin } from '../db/registry.js'
import { listTenants, type Tenant } from './tenant.js'

/**
 * The record of a fleet migration run: one erp.migration_runs row, and one erp.migration_run_items
 * row per tenant that had work when the run started. A tenant's item is written in the transaction
 * that migrates it (see rollout.ts), so the record of every committed tenant is exact even after a
 * kill -9; an item still 'pending' belongs to a tenant whose migration never committed.
 */

/**
 * succeeded: this run applied migrations to the tenant. up_to_date: the tenant had work pending when
 * the run started, but another run migrated it first (`doneBy`), so this run applied nothing.
 */
export type ItemState = 'succeeded' | 'up_to_date' | 'failed' | 'lock_timeout' | 'not_reached'
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
  /** up_to_date: the recorded run that applied what this run found pending (absent: an unrecorded one). */
  doneBy?: number
  error?: string
  durationMs: number
}

/** What a run was asked to do, kept with its record. */
export interface RunPlan {
  resumedFrom?: number
  options: Record<string, unknown>
  /** Tenant slugs per wave, in order; wave numbers as stored (0 = canary when there is one). */
  waves: Array<{ wave: number; tenants: string[] }>
  /** Items of the resumed run carried over as they were. */
  carried: RolloutItem[]
  /** Tenants that had nothing pending: counted, not listed. */
  upToDate: number
}

export async function startRun(knex: Knex, plan: RunPlan): Promise<number> {
  return knex.transaction(async (trx) => {
    const [{ id }] = await trx
      .withSchema('erp')
      .table('migration_runs')
      .insert({ resumed_from: plan.resumedFrom ?? null, up_to_date: plan.upToDate, options: JSON.stringify(plan.options) })
      .returning('id')
    const rows = [
      ...plan.waves.flatMap(({ wave, tenants }) => tenants.map((tenant) => ({ run_id: id, tenant, wave }))),
      ...plan.carried.map((item) => ({
        run_id: id, tenant: item.tenant, wave: item.wave, state: item.state, attempts: item.attempts,
        lock_timeouts: item.lockTimeouts, error: item.error ?? null, duration_ms: item.durationMs,
      })),
    ].map((row, position) => ({ ...row, position }))
    for (let i = 0; i < rows.length; i += 5000) await trx.withSchema('erp').table('migration_run_items').insert(rows.slice(i, i + 5000))
    return Number(id)
  })
}

/**
 * Write one tenant's outcome into the run's record, on `q`: the tenant's own migration transaction
 * when it committed work (so the two commit together), the plain connection otherwise. For an
 * up_to_date item, the run that migrated the tenant is looked up (a succeeded item of another run
 * that applied what this run found pending) and returned.
 */
export async function recordItem(
  q: Knex | Knex.Transaction,
  runId: number,
  item: RolloutItem,
  expected: string[],
): Promise<number | undefined> {
  const { rows } = await q.raw(
    `update erp.migration_run_items i
        set state = ?, attempts = ?, lock_timeouts = ?, applied = ?::text[], error = ?, duration_ms = ?,
            finished_at = now(),
            done_by = case when ?::boolean then (
              select o.run_id from erp.migration_run_items o
               where o.tenant = i.tenant and o.state = 'succeeded' and o.run_id <> i.run_id and o.applied && ?::text[]
               order by o.finished_at desc limit 1) end
      where i.run_id = ? and i.tenant = ?
      returning i.done_by`,
    [
      item.state, item.attempts, item.lockTimeouts, item.applied, item.error ?? null, item.durationMs,
      item.state === 'up_to_date', expected, runId, item.tenant,
    ],
  )
  const doneBy = rows[0]?.done_by
  return doneBy === null || doneBy === undefined ? undefined : Number(doneBy)
}

export async function finishRun(knex: Knex, runId: number, status: RunStatus, stopReason: string | undefined): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.withSchema('erp').table('migration_run_items').where({ run_id: runId, state: 'pending' }).update({ state: 'not_reached' })
    await trx
      .withSchema('erp')
      .table('migration_runs')
      .where('id', runId)
      .update({ status, stop_reason: stopReason ?? null, finished_at: trx.fn.now() })
  })
}

const runLockKey = (id: number) => `erp.migrate-run:${id}`

/**
 * A run holds a session-level advisory lock on a connection of its own for as long as it works, so
 * a 'running' row whose lock is free belongs to a process that is gone.
 */
export async function holdRunLock(knex: Knex, runId: number): Promise<{ release(): Promise<void> }> {
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
export async function liveRuns(knex: Knex): Promise<Set<number>> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `select id, not pg_try_advisory_xact_lock(hashtextextended(?::text || id, 0)) as alive
         from erp.migration_runs where status = 'running' and started_at > now() - interval '7 days'`,
      ['erp.migrate-run:'],
    )
    return new Set(rows.filter((r: { alive: boolean }) => r.alive).map((r: { id: string }) => Number(r.id)))
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
  /** Tenants this run found up to date: nothing pending at its start, or migrated by another run first. */
  upToDate: number
  /** Tenants this run migrated itself. */
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
      stopReason: 'r.stop_reason', resumedFrom: 'r.resumed_from', options: 'r.options',
    })
    .select(
      knex.raw(`r.up_to_date + c.up_to_date as "upToDate"`),
      knex.raw('c.succeeded, c.failed, c."lockTimeout", c."notReached"'),
    )
    .joinRaw(
      `cross join lateral (
         select count(*) filter (where state = 'succeeded')::int as succeeded,
                count(*) filter (where state = 'up_to_date')::int as up_to_date,
                count(*) filter (where state = 'failed')::int as failed,
                count(*) filter (where state = 'lock_timeout')::int as "lockTimeout",
                count(*) filter (where state in ('not_reached', 'pending'))::int as "notReached"
           from erp.migration_run_items i where i.run_id = r.id) c`,
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
      applied: 'applied', doneBy: 'done_by', error: 'error', durationMs: 'duration_ms',
    })
  const [summary] = await markInterrupted(db.knex, [toSummary(row)])
  return {
    ...summary,
    items: items.map((i) => ({
      ...i,
      // Never committed: a run that was stopped, or killed before it got there.
      state: i.state === 'pending' ? 'not_reached' : i.state,
      doneBy: i.doneBy === null ? undefined : Number(i.doneBy),
      error: i.error ?? undefined,
      durationMs: i.durationMs ?? 0,
    })),
  }
}

/** Tenants a resumed run has nothing to do for: this run (or another one) migrated them. */
const DONE: ItemState[] = ['succeeded', 'up_to_date']

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
  const states: ItemState[] = [
    ...(which.retryFailed ? (['failed', 'lock_timeout'] as const) : []),
    ...(which.continue ? (['not_reached'] as const) : []),
  ]
  const { items } = await getRun(db, Number(last.id))
  const live = new Map((await listTenants(db.knex, db.scope)).map((t) => [t.slug, t]))
  const left = items.filter((i) => !DONE.includes(i.state) && live.has(i.tenant))
  return {
    runId: Number(last.id),
    tenants: left.filter((i) => states.includes(i.state)).map((i) => live.get(i.tenant)!),
    carried: left.filter((i) => !states.includes(i.state)),
  }
}
