import type { Knex } from 'knex'

import { transactionNow } from '../db/clock.js'
import type { Db } from '../db/connect.js'
import { withStaging, type Staging } from '../db/staging.js'
import { withTenant } from '../tenants/tenant-work.js'
import { forEachTenant } from '../tenants/fleet.js'
import { queryRows } from '../db/query-rows.js'

/**
 * The level cache checked against the ledger: on hand rebuilt from every move, reserved from the
 * reservations, serial locations from each unit's last move, all in SQL. Repair rewrites the
 * drifted rows in one transaction, with the levels locked against writers meanwhile.
 */

export interface LevelDrift {
  sku: string
  location: string
  lot: string | null
  /** What the cache says. */
  cachedOnHand: string
  cachedReserved: string
  /** What the ledger and the reservations say. */
  ledgerOnHand: string
  ledgerReserved: string
}

export interface SerialDrift {
  sku: string
  serial: string
  /** Where the serials table says the unit is, and where its last move put it (null: gone). */
  cachedLocation: string | null
  ledgerLocation: string | null
}

export interface VerifyResult {
  moves: number
  levels: number
  /** Level rows that differ from the ledger (all of them, though `drift` lists at most `limit`). */
  drifted: number
  serialsDrifted: number
  repaired: boolean
  drift: LevelDrift[]
  serialDrift: SerialDrift[]
}

/**
 * Drifted levels: every cached row compared with its moves (in, out) and reservations, plus the
 * keys the ledger or the reservations have and the cache lacks. The moves are aggregated in key
 * order from the covering indexes (stock_moves_in_idx / _out_idx) and merged with the cache's
 * unique index, so the whole ledger streams through once without hash tables; see
 * STREAMING_PLAN. Bindings: the ids of the virtual locations, twice.
 */
const DRIFT = `
  with i as (
    select product_id, to_location_id as location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty
      from stock_moves where to_location_id <> all(?::bigint[]) group by 1, 2, 3
  ), o as (
    select product_id, from_location_id as location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty
      from stock_moves where from_location_id <> all(?::bigint[]) group by 1, 2, 3
  ), h as (
    select product_id, location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty from reservations group by 1, 2, 3
  )
  select s.product_id, s.location_id, s.lot_key, s.on_hand as cached_on_hand, s.reserved as cached_reserved,
         coalesce(i.qty, 0) - coalesce(o.qty, 0) as on_hand, coalesce(h.qty, 0) as reserved
    from stock_levels s
    left join i on i.product_id = s.product_id and i.location_id = s.location_id and i.lot_key = s.lot_key
    left join o on o.product_id = s.product_id and o.location_id = s.location_id and o.lot_key = s.lot_key
    left join h on h.product_id = s.product_id and h.location_id = s.location_id and h.lot_key = s.lot_key
   where s.on_hand <> coalesce(i.qty, 0) - coalesce(o.qty, 0) or s.reserved <> coalesce(h.qty, 0)
  union all
  select k.product_id, k.location_id, k.lot_key, null, null, sum(k.on_hand), sum(k.reserved)
    from (select product_id, location_id, lot_key, qty as on_hand, 0::numeric as reserved from i
          union all select product_id, location_id, lot_key, -qty, 0::numeric from o
          union all select product_id, location_id, lot_key, 0::numeric, qty from h) k
   where not exists (select 1 from stock_levels s
                      where s.product_id = k.product_id and s.location_id = k.location_id and s.lot_key = k.lot_key)
   group by 1, 2, 3
  having sum(k.on_hand) <> 0 or sum(k.reserved) <> 0`

/**
 * Merge joins and group aggregates over index order: about a third less CPU than hash
 * aggregation of a million moves, and a few MB of memory instead of hundreds.
 */
const STREAMING_PLAN = ['enable_hashagg', 'enable_hashjoin', 'enable_nestloop']

const SERIAL_DRIFT = `
  last_move as (
    select distinct on (ms.serial_id) ms.serial_id, case when t.kind = 'internal' then t.id end as location_id
      from stock_move_serials ms
      join stock_moves m on m.id = ms.move_id
      join locations t on t.id = m.to_location_id
     order by ms.serial_id, ms.move_id desc
  ), serial_drift as (
    select s.id, s.product_id, s.serial, s.location_id as cached, lm.location_id as expected
      from serials s left join last_move lm on lm.serial_id = s.id
     where s.location_id is distinct from lm.location_id
  )`

export async function verifyLevels(trx: Knex.Transaction, options: { repair?: boolean; limit?: number } = {}): Promise<VerifyResult> {
  return withStaging(trx, (staging) => verifyStaged(trx, staging, options))
}

async function verifyStaged(trx: Knex.Transaction, staging: Staging, options: { repair?: boolean; limit?: number }): Promise<VerifyResult> {
  const limit = options.limit ?? 1000
  if (options.repair) {
    // Writers of levels (moves, reservations) wait until the repair commits; readers go on.
    await trx.raw("set local lock_timeout = '30s'")
    await trx.raw('lock table stock_levels, serials in share row exclusive mode')
  }
  const [{ ids: virtual }] = await queryRows<{ ids: string[] }>(trx, `select coalesce(array_agg(id), '{}') as ids from locations where kind <> 'internal'`)
  await trx.raw("set local work_mem = '64MB'")
  await trx.raw('set local max_parallel_workers_per_gather = 0')
  for (const setting of STREAMING_PLAN) await trx.raw(`set local ${setting} = off`)
  let drifted: Array<DriftKey & { total: number }>
  if (options.repair) {
    // The repair writes what the report shows, so the drift is kept (staging tables need a
    // read-write transaction: a plain check does without).
    const levels = await staging.create('stock_drift', `as ${DRIFT}`, [virtual, virtual])
    drifted = await queryRows(trx, `select *, count(*) over ()::int as total from ${levels} order by 1, 2, 3 limit ?`, [limit])
  } else {
    drifted = await queryRows(trx, `select *, count(*) over ()::int as total from (${DRIFT}) d order by 1, 2, 3 limit ?`, [virtual, virtual, limit])
  }
  for (const setting of STREAMING_PLAN) await trx.raw(`set local ${setting} = on`)

  const drift = await describeDrift(trx, drifted)
  const serials = options.repair ? await staging.create('serial_drift', `as with ${SERIAL_DRIFT} select * from serial_drift`) : 'serial_drift'
  const serialDrift = await queryRows<SerialDrift & { total: number }>(
    trx,
    `${options.repair ? '' : `with ${SERIAL_DRIFT}`}
     select p.sku, d.serial, c.full_code as "cachedLocation", e.full_code as "ledgerLocation", count(*) over ()::int as total
       from ${serials} d
       join products p on p.id = d.product_id
       left join locations c on c.id = d.cached
       left join locations e on e.id = d.expected
      order by p.sku, d.serial
      limit ?`,
    [limit],
  )
  const [counts] = await queryRows<{ moves: number; levels: number }>(
    trx,
    'select (select count(*) from stock_moves)::int as moves, (select count(*) from stock_levels)::int as levels',
  )
  const levelsDrifted = drifted[0]?.total ?? 0
  const serialsDrifted = serialDrift[0]?.total ?? 0
  if (options.repair && (levelsDrifted > 0 || serialsDrifted > 0)) await repair(trx, staging.table('stock_drift'), serials)
  return {
    moves: counts.moves,
    levels: counts.levels,
    drifted: levelsDrifted,
    serialsDrifted,
    repaired: options.repair === true && (levelsDrifted > 0 || serialsDrifted > 0),
    drift,
    serialDrift: serialDrift.map(({ total: _total, ...row }) => row),
  }
}

interface DriftKey {
  product_id: string
  location_id: string
  lot_key: string
  cached_on_hand: string | null
  cached_reserved: string | null
  on_hand: string
  reserved: string
}

/** Names for the drifted keys, in a statement of its own (the streaming plan settings are off by then). */
async function describeDrift(trx: Knex.Transaction, keys: DriftKey[]): Promise<LevelDrift[]> {
  if (keys.length === 0) return []
  return queryRows<LevelDrift>(
    trx,
    `select p.sku, l.full_code as location, lo.code as lot,
            trim_scale(coalesce(k.cached_on_hand, 0))::text as "cachedOnHand",
            trim_scale(coalesce(k.cached_reserved, 0))::text as "cachedReserved",
            trim_scale(k.on_hand)::text as "ledgerOnHand", trim_scale(k.reserved)::text as "ledgerReserved"
       from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[])
              with ordinality as k(product_id, location_id, lot_key, cached_on_hand, cached_reserved, on_hand, reserved, n)
       join products p on p.id = k.product_id
       join locations l on l.id = k.location_id
       left join lots lo on lo.id = nullif(k.lot_key, 0)
      order by p.sku, l.full_code, lo.code nulls first`,
    [
      keys.map((k) => k.product_id), keys.map((k) => k.location_id), keys.map((k) => k.lot_key),
      keys.map((k) => k.cached_on_hand), keys.map((k) => k.cached_reserved), keys.map((k) => k.on_hand), keys.map((k) => k.reserved),
    ],
  )
}

async function repair(trx: Knex.Transaction, levels: string, serials: string): Promise<void> {
  await trx.raw(
    `insert into stock_levels as s (product_id, location_id, lot_id, on_hand, reserved)
     select product_id, location_id, nullif(lot_key, 0), on_hand, reserved from ${levels}
      order by product_id, location_id, lot_key
     on conflict (product_id, location_id, lot_key) do update
       set on_hand = excluded.on_hand, reserved = excluded.reserved, updated_at = ?::timestamptz`,
    [await transactionNow(trx)],
  )
  await trx.raw(
    `update serials s set location_id = d.expected, updated_at = now()
       from ${serials} d where d.id = s.id`,
  )
}

export interface TenantVerifyOutcome {
  tenant: string
  status: 'ok' | 'drift' | 'repaired' | 'failed'
  moves: number | null
  levels: number | null
  drifted: number | null
  serialsDrifted: number | null
  error: string | null
  durationMs: number
}

/**
 * verifyLevels for many tenants (the nightly job), `concurrency` at a time, each in its own
 * transaction; one tenant's failure is recorded and the others go on.
 */
export async function verifyTenants(
  db: Db,
  slugs: string[],
  options: { repair?: boolean; concurrency?: number } = {},
): Promise<TenantVerifyOutcome[]> {
  const outcomes = await forEachTenant(slugs, options.concurrency ?? 4, (slug) =>
    withTenant(db, slug, (trx) => verifyLevels(trx, { repair: options.repair, limit: 1 }), {
      access: options.repair ? 'write' : 'read',
    }),
  )
  return outcomes.map((o) => {
    const r = o.result
    const drifted = r ? r.drifted + r.serialsDrifted > 0 : false
    return {
      tenant: o.tenant,
      status: !o.ok ? 'failed' : r!.repaired ? 'repaired' : drifted ? 'drift' : 'ok',
      moves: r?.moves ?? null,
      levels: r?.levels ?? null,
      drifted: r?.drifted ?? null,
      serialsDrifted: r?.serialsDrifted ?? null,
      error: o.error ?? null,
      durationMs: o.durationMs,
    }
  })
}
