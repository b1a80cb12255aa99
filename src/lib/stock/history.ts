import type { Knex } from 'knex'

import type { MoveReason } from './moves.js'
import { queryRows } from '../db/query-rows.js'

/** Reading the ledger, lots and serial numbers. */

export interface StockMove {
  id: string
  at: Date
  sku: string
  from: string
  to: string
  qty: string
  lot: string | null
  serials: string[]
  reason: MoveReason
  reference: string | null
  note: string | null
  createdBy: string
  batch: string
}

export interface MoveQuery {
  sku?: string
  warehouse?: string
  /** Full location code (or a virtual location: supplier, customer, adjustment, scrap). */
  location?: string
  lot?: string
  serial?: string
  reference?: string
  reason?: MoveReason
  since?: Date
  until?: Date
  /** Paging: moves with an id below this one (the last id of the previous page). */
  beforeId?: string
  limit?: number
}

/** The ledger, newest first, one page at a time (keyset paging on id). */
export async function listMoves(trx: Knex.Transaction, query: MoveQuery = {}): Promise<StockMove[]> {
  const v = (x: string | Date | undefined) => [x ?? null, x ?? null]
  const rows = await queryRows<StockMove>(
      trx,
    `select m.id, m.at, p.sku, f.full_code as from, t.full_code as to, trim_scale(m.qty)::text as qty, lo.code as lot,
            coalesce((select array_agg(s.serial order by s.serial) from stock_move_serials ms join serials s on s.id = ms.serial_id
                       where ms.move_id = m.id), '{}') as serials,
            m.reason, m.reference, m.note, m.created_by as "createdBy", m.batch
       from stock_moves m
       join products p on p.id = m.product_id
       join locations f on f.id = m.from_location_id
       join locations t on t.id = m.to_location_id
       left join lots lo on lo.id = m.lot_id
      where (?::text is null or p.sku = ?)
        and (?::text is null or exists (select 1 from warehouses w where w.code = ? and w.id in (f.warehouse_id, t.warehouse_id)))
        and (?::text is null or m.from_location_id = (select id from locations where full_code = ?)
                             or m.to_location_id = (select id from locations where full_code = ?))
        and (?::text is null or lo.code = ?)
        and (?::text is null or exists (select 1 from stock_move_serials ms join serials s on s.id = ms.serial_id
                                         where ms.move_id = m.id and s.serial = ?))
        and (?::text is null or m.reference = ?)
        and (?::text is null or m.reason = ?)
        and (?::timestamptz is null or m.at >= ?)
        and (?::timestamptz is null or m.at < ?)
        and (?::bigint is null or m.id < ?)
      order by m.id desc
      limit ?`,
    [
      ...v(query.sku), ...v(query.warehouse), ...v(query.location), query.location ?? null, ...v(query.lot), ...v(query.serial),
      ...v(query.reference), ...v(query.reason), ...v(query.since), ...v(query.until), ...v(query.beforeId),
      query.limit ?? 50,
    ],
  )
  return rows
}

export interface Lot {
  sku: string
  lot: string
  expiresOn: string | null
  status: 'expired' | 'expiring' | 'ok'
  onHand: string
  reserved: string
  locations: number
  createdAt: Date
}

export interface LotQuery {
  sku?: string
  lot?: string
  /** Only lots past their expiry date. */
  expired?: boolean
  /** Only lots expiring within this many days (expired ones included). */
  expiringWithinDays?: number
  /** Lots with nothing on hand are hidden unless asked for. */
  includeEmpty?: boolean
  limit?: number
}

/** Lots with their stock, soonest expiry first; 'expiring' means within 30 days unless asked otherwise. */
export async function listLots(trx: Knex.Transaction, query: LotQuery = {}): Promise<Lot[]> {
  const within = query.expiringWithinDays ?? 30
  const rows = await queryRows<Lot>(
      trx,
    `select p.sku, lo.code as lot, to_char(lo.expires_on, 'YYYY-MM-DD') as "expiresOn",
            case when lo.expires_on < current_date then 'expired'
                 when lo.expires_on < current_date + ?::int then 'expiring' else 'ok' end as status,
            trim_scale(coalesce(sum(s.on_hand), 0))::text as "onHand", trim_scale(coalesce(sum(s.reserved), 0))::text as reserved,
            count(s.id) filter (where s.on_hand <> 0)::int as locations, lo.created_at as "createdAt"
       from lots lo
       join products p on p.id = lo.product_id
       left join stock_levels s on s.lot_id = lo.id
      where (?::text is null or p.sku = ?)
        and (?::text is null or lo.code = ?)
        and (not ? or lo.expires_on < current_date)
        and (?::int is null or lo.expires_on < current_date + ?::int)
      group by lo.id, p.sku
     having ? or coalesce(sum(s.on_hand), 0) <> 0
      order by lo.expires_on nulls last, p.sku, lo.code
      limit ?`,
    [
      within,
      query.sku ?? null, query.sku ?? null, query.lot ?? null, query.lot ?? null,
      query.expired === true,
      query.expiringWithinDays ?? null, query.expiringWithinDays ?? null,
      query.includeEmpty === true,
      query.limit ?? 1000,
    ],
  )
  return rows
}

export interface SerialNumber {
  sku: string
  serial: string
  status: 'in-stock' | 'gone'
  location: string | null
  /** Where the last move took it (customer, scrap...) when it is gone. */
  lastMovedTo: string | null
  lastMoveAt: Date | null
  lastReference: string | null
}

export interface SerialQuery {
  sku?: string
  serial?: string
  warehouse?: string
  location?: string
  status?: 'in-stock' | 'gone'
  limit?: number
}

export async function listSerials(trx: Knex.Transaction, query: SerialQuery = {}): Promise<SerialNumber[]> {
  const v = (x: string | Date | undefined) => [x ?? null, x ?? null]
  const rows = await queryRows<SerialNumber>(
      trx,
    `select p.sku, s.serial, case when s.location_id is null then 'gone' else 'in-stock' end as status,
            l.full_code as location, last.to as "lastMovedTo", last.at as "lastMoveAt", last.reference as "lastReference"
       from serials s
       join products p on p.id = s.product_id
       left join locations l on l.id = s.location_id
       left join warehouses w on w.id = l.warehouse_id
       left join lateral (
         select t.full_code as to, m.at, m.reference
           from stock_move_serials ms join stock_moves m on m.id = ms.move_id join locations t on t.id = m.to_location_id
          where ms.serial_id = s.id
          order by ms.move_id desc limit 1
       ) last on true
      where (?::text is null or p.sku = ?)
        and (?::text is null or s.serial = ?)
        and (?::text is null or w.code = ?)
        and (?::text is null or l.full_code = ?)
        and (?::text is null or (case when s.location_id is null then 'gone' else 'in-stock' end) = ?)
      order by p.sku, s.serial
      limit ?`,
    [...v(query.sku), ...v(query.serial), ...v(query.warehouse), ...v(query.location), ...v(query.status), query.limit ?? 1000],
  )
  return rows
}
