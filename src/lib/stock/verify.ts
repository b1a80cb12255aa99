import type { Knex } from 'knex'

import { queryRows } from './sql.js'

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

/** Expected levels per product × internal location × lot, from the ledger and reservations. */
const EXPECTED = `
  ledger as (
    select x.product_id, x.location_id, x.lot_key, sum(x.qty) as on_hand
      from (
        select product_id, to_location_id as location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty
          from stock_moves group by 1, 2, 3
        union all
        select product_id, from_location_id, coalesce(lot_id, 0), -sum(qty)
          from stock_moves group by 1, 2, 3
      ) x
      join locations l on l.id = x.location_id and l.kind = 'internal'
     group by 1, 2, 3
  ), held as (
    select product_id, location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as reserved
      from reservations group by 1, 2, 3
  ), expected as (
    select coalesce(g.product_id, h.product_id) as product_id, coalesce(g.location_id, h.location_id) as location_id,
           coalesce(g.lot_key, h.lot_key) as lot_key, coalesce(g.on_hand, 0) as on_hand, coalesce(h.reserved, 0) as reserved
      from ledger g
      full join held h on h.product_id = g.product_id and h.location_id = g.location_id and h.lot_key = g.lot_key
  ), drift as (
    select coalesce(e.product_id, s.product_id) as product_id, coalesce(e.location_id, s.location_id) as location_id,
           coalesce(e.lot_key, s.lot_key) as lot_key,
           s.on_hand as cached_on_hand, s.reserved as cached_reserved,
           coalesce(e.on_hand, 0) as on_hand, coalesce(e.reserved, 0) as reserved
      from expected e
      full join stock_levels s on s.product_id = e.product_id and s.location_id = e.location_id and s.lot_key = e.lot_key
     where coalesce(s.on_hand, 0) <> coalesce(e.on_hand, 0) or coalesce(s.reserved, 0) <> coalesce(e.reserved, 0)
  )`

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
  await trx.raw("set local work_mem = '256MB'")
  const limit = options.limit ?? 1000
  if (options.repair) {
    // Writers of levels (moves, reservations) wait until the repair commits; readers go on.
    await trx.raw("set local lock_timeout = '30s'")
    await trx.raw('lock table stock_levels, serials in share row exclusive mode')
  }
  // Rows written to a temporary table only when repairing: a plain check runs read-only.
  const source = options.repair ? 'stock_drift' : 'drift'
  if (options.repair) {
    await trx.raw(`create temp table stock_drift on commit drop as with ${EXPECTED} select * from drift`)
    await trx.raw(`create temp table serial_drift_rows on commit drop as with ${SERIAL_DRIFT} select * from serial_drift`)
  }
  const prefix = options.repair ? '' : `with ${EXPECTED}`
  const drift = await queryRows<LevelDrift & { total: number }>(
    trx,
    `${prefix}
     select p.sku, l.full_code as location, lo.code as lot,
            trim_scale(coalesce(d.cached_on_hand, 0))::text as "cachedOnHand",
            trim_scale(coalesce(d.cached_reserved, 0))::text as "cachedReserved",
            trim_scale(d.on_hand)::text as "ledgerOnHand", trim_scale(d.reserved)::text as "ledgerReserved",
            count(*) over ()::int as total
       from ${source} d
       join products p on p.id = d.product_id
       join locations l on l.id = d.location_id
       left join lots lo on lo.id = nullif(d.lot_key, 0)
      order by p.sku, l.full_code, lo.code nulls first
      limit ?`,
    [limit],
  )
  const serialDrift = await queryRows<SerialDrift & { total: number }>(
    trx,
    `${options.repair ? '' : `with ${SERIAL_DRIFT}`}
     select p.sku, d.serial, c.full_code as "cachedLocation", e.full_code as "ledgerLocation", count(*) over ()::int as total
       from ${options.repair ? 'serial_drift_rows' : 'serial_drift'} d
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
  const drifted = drift[0]?.total ?? 0
  const serialsDrifted = serialDrift[0]?.total ?? 0
  if (options.repair && (drifted > 0 || serialsDrifted > 0)) await repair(trx)
  return {
    moves: counts.moves,
    levels: counts.levels,
    drifted,
    serialsDrifted,
    repaired: options.repair === true && (drifted > 0 || serialsDrifted > 0),
    drift: drift.map(({ total: _total, ...row }) => row),
    serialDrift: serialDrift.map(({ total: _total, ...row }) => row),
  }
}

async function repair(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `insert into stock_levels as s (product_id, location_id, lot_id, on_hand, reserved)
     select product_id, location_id, nullif(lot_key, 0), on_hand, reserved from stock_drift
      order by product_id, location_id, lot_key
     on conflict (product_id, location_id, lot_key) do update
       set on_hand = excluded.on_hand, reserved = excluded.reserved, updated_at = now()`,
  )
  await trx.raw(
    `update serials s set location_id = d.expected, updated_at = now()
       from serial_drift_rows d where d.id = s.id`,
  )
}
