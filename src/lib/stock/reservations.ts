import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../cli/errors.js'
import { isWholeQuantity, quantityProblem } from './input.js'
import { productKey, productLabel, resolveLocations, resolveLots, resolveProducts, resolveWarehouses } from './refs.js'
import { queryRows } from './sql.js'

/**
 * Reservations hold stock for documents (orders, transfer requests). A reservation is allocated
 * to concrete level rows, first-expiry-first-out for lots, and adds to their `reserved`; stock
 * is available when on hand and not reserved. Allocation happens in SQL on rows locked in key
 * order, so concurrent reservations never hand out the same unit twice.
 */

export interface ReserveLine {
  sku?: string
  productId?: string
  qty: string
  /** Reserve only in this warehouse (code). */
  warehouse?: string
  /** Reserve only at this location (full code, e.g. WH1/A-01). */
  location?: string
  /** Reserve only this lot. */
  lot?: string
}

export interface ReserveInput {
  /** The document holding the stock, e.g. SO-1001. */
  reference: string
  lines: ReserveLine[]
  createdBy?: string
}

export interface Reservation {
  id: string
  reference: string
  /** 1-based input line the reservation was made for (reserve only). */
  line?: number
  sku: string
  productId: string
  warehouse: string
  location: string
  locationId: string
  lot: string | null
  lotId: string | null
  expiresOn: string | null
  qty: string
  createdAt: Date
}

export interface ReserveShortage {
  line: number
  sku: string
  requested: string
  available: string
}

interface CheckedReserveLine {
  line: number
  productId: string
  sku: string
  qty: string
  warehouseId: string | null
  locationId: string | null
  lotId: string | null
}

/** Reserve every line, or nothing: the error names the lines short of stock (data.shortages). */
export async function reserve(trx: Knex.Transaction, input: ReserveInput): Promise<Reservation[]> {
  const lines = await checkReserveLines(trx, input)
  if (lines.length === 0) return []

  // Lock every level row any line could draw from, in the ledger's key order.
  const locked = await queryRows<{ id: string }>(
      trx,
    `select s.id
       from stock_levels s
       join locations l on l.id = s.location_id
       join unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) as k(product_id, warehouse_id, location_id, lot_id)
         on k.product_id = s.product_id
        and (k.warehouse_id is null or l.warehouse_id = k.warehouse_id)
        and (k.location_id is null or s.location_id = k.location_id)
        and (k.lot_id is null or s.lot_id = k.lot_id)
      order by s.product_id, s.location_id, s.lot_key
      for update of s`,
    [lines.map((l) => l.productId), lines.map((l) => l.warehouseId), lines.map((l) => l.locationId), lines.map((l) => l.lotId)],
  )
  const lockedIds = [...new Set(locked.map((r) => r.id))]

  // One statement per round; a round holds at most one line per product (a level row is
  // updated once per statement), so an order with distinct products is one round.
  const rounds: CheckedReserveLine[][] = []
  for (const line of lines) {
    const round = rounds.find((r) => !r.some((l) => l.productId === line.productId))
    if (round) round.push(line)
    else rounds.push([line])
  }
  const shortages: ReserveShortage[] = []
  const made: Reservation[] = []
  for (const round of rounds) {
    const outcomes = await queryRows<{ line: number; complete: boolean; available: string; reservations: Array<Reservation & { createdAt: string }> }>(
      trx,
      `with k as (
         select * from unnest(?::int[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::numeric[])
           as k(line, product_id, warehouse_id, location_id, lot_id, qty)
       ), cand as (
         select k.line, k.qty as wanted, s.id, s.on_hand - s.reserved as avail, lo.expires_on, s.location_id
           from k
           join stock_levels s on s.product_id = k.product_id
           join locations l on l.id = s.location_id
           left join lots lo on lo.id = s.lot_id
          where s.id = any(?::bigint[])
            and (k.warehouse_id is null or l.warehouse_id = k.warehouse_id)
            and (k.location_id is null or s.location_id = k.location_id)
            and (k.lot_id is null or s.lot_id = k.lot_id)
            and s.on_hand - s.reserved > 0
            and (lo.expires_on is null or lo.expires_on >= current_date)
       ), alloc as (
         select line, id, least(avail, wanted - coalesce(sum(avail) over (
                  partition by line order by expires_on nulls last, location_id, id
                  rows between unbounded preceding and 1 preceding), 0)) as take
           from cand
       ), upd as (
         update stock_levels s set reserved = s.reserved + a.take, updated_at = now()
           from alloc a
          where s.id = a.id and a.take > 0 and s.on_hand - s.reserved >= a.take
         returning s.product_id, s.location_id, s.lot_id, a.take
       ), ins as (
         insert into reservations (reference, product_id, location_id, lot_id, qty, created_by)
         select ?, product_id, location_id, lot_id, take, coalesce(?, session_user) from upd
         returning id, reference, product_id, location_id, lot_id, qty, created_at
       )
       select k.line,
              coalesce((select sum(i.qty) from ins i where i.product_id = k.product_id), 0) = k.qty as complete,
              trim_scale(coalesce((select sum(c.avail) from cand c where c.line = k.line), 0))::text as available,
              coalesce((
                select json_agg(json_build_object(
                         'id', i.id::text, 'reference', i.reference, 'sku', p.sku, 'productId', i.product_id::text,
                         'warehouse', w.code, 'location', l.full_code, 'locationId', i.location_id::text,
                         'lot', lo.code, 'lotId', i.lot_id::text, 'expiresOn', to_char(lo.expires_on, 'YYYY-MM-DD'),
                         'qty', trim_scale(i.qty)::text, 'createdAt', i.created_at, 'line', k.line)
                       order by lo.expires_on nulls last, l.full_code, lo.code, i.id)
                  from ins i join products p on p.id = i.product_id join locations l on l.id = i.location_id
                  join warehouses w on w.id = l.warehouse_id left join lots lo on lo.id = i.lot_id
                 where i.product_id = k.product_id), '[]') as reservations
         from k order by k.line`,
      [
        round.map((l) => l.line), round.map((l) => l.productId), round.map((l) => l.warehouseId),
        round.map((l) => l.locationId), round.map((l) => l.lotId), round.map((l) => l.qty),
        lockedIds, input.reference, input.createdBy ?? null,
      ],
    )
    for (const outcome of outcomes) {
      const line = round.find((l) => l.line === outcome.line)!
      if (!outcome.complete) shortages.push({ line: line.line, sku: line.sku, requested: line.qty, available: outcome.available })
      else made.push(...outcome.reservations.map((r) => ({ ...r, createdAt: new Date(r.createdAt) })))
    }
  }
  shortages.sort((a, b) => a.line - b.line)

  if (shortages.length) {
    const text = shortages.map((s) => `line ${s.line} ${s.sku}: ${s.requested} requested, ${s.available} available`).join('; ')
    throw new ErpError(ErrorKind.CONFLICT, `Not enough stock to reserve for ${input.reference}: ${text}`, {
      actions: ['Nothing was reserved. Check availability with: erp stock levels --sku <sku>'],
      data: { reference: input.reference, shortages },
    })
  }
  return made.sort((a, b) => a.line! - b.line!)
}

async function checkReserveLines(trx: Knex.Transaction, input: ReserveInput): Promise<CheckedReserveLine[]> {
  const problems: Array<{ line: number; sku?: string; message: string }> = []
  if (!input.reference || input.reference.trim() === '') problems.push({ line: 0, message: 'a reservation needs a reference (the document holding the stock)' })
  const products = await resolveProducts(trx, input.lines)
  const warehouses = await resolveWarehouses(trx, input.lines.flatMap((l) => (l.warehouse ? [l.warehouse] : [])))
  const locations = await resolveLocations(trx, input.lines.flatMap((l) => (l.location ? [l.location] : [])))
  const lotPairs = input.lines.flatMap((l) => {
    const product = products.get(productKey(l))
    return product && l.lot ? [{ productId: product.id, code: l.lot }] : []
  })
  const lots = await resolveLots(trx, lotPairs)
  const checked: CheckedReserveLine[] = []
  input.lines.forEach((l, index) => {
    const line = index + 1
    const sku = productLabel(l)
    const fail = (message: string) => problems.push({ line, sku, message })
    const before = problems.length
    const product = products.get(productKey(l))
    if (!product) fail(`unknown product ${sku}`)
    const qtyProblem = quantityProblem(String(l.qty ?? ''))
    if (qtyProblem) fail(qtyProblem)
    const warehouse = l.warehouse ? warehouses.get(l.warehouse) : undefined
    if (l.warehouse && !warehouse) fail(`unknown warehouse "${l.warehouse}"`)
    const location = l.location ? locations.get(l.location) : undefined
    if (l.location && !location) fail(`unknown location "${l.location}"`)
    if (location && location.kind !== 'internal') fail(`${location.fullCode} is not a warehouse location`)
    if (location && warehouse && location.warehouseId !== warehouse.id) fail(`${location.fullCode} is not in warehouse ${warehouse.code}`)
    let lotId: string | null = null
    if (product) {
      if (!product.active) fail(`product ${product.sku} is archived or inactive`)
      if (product.tracking === 'serial' && !qtyProblem && !isWholeQuantity(l.qty)) fail(`product ${product.sku} is serial-tracked: whole units only`)
      if (l.lot && product.tracking !== 'lot') fail(`product ${product.sku} is not lot-tracked: it takes no lot`)
      if (l.lot && product.tracking === 'lot') {
        const lot = lots.get(`${product.id}:${l.lot}`)
        if (!lot) fail(`unknown lot ${l.lot} of ${product.sku}`)
        else if (lot.expired) fail(`lot ${l.lot} of ${product.sku} expired on ${lot.expiresOn}`)
        else lotId = lot.id
      }
    }
    if (problems.length === before) {
      checked.push({
        line, productId: product!.id, sku: product!.sku, qty: l.qty.trim(),
        warehouseId: warehouse?.id ?? null, locationId: location?.id ?? null, lotId,
      })
    }
  })
  if (problems.length) {
    const text = problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message)).join('; ')
    throw invalidData(`Refused: ${text}`, { actions: ['Correct the lines and run again: nothing was reserved.'], data: { problems } })
  }
  return checked
}

export interface ReleaseInput {
  reference: string
  /** Only these products (SKUs); everything the reference holds by default. */
  skus?: string[]
}

/** Give back what a document holds; returns what was released (nothing is not an error). */
export async function release(trx: Knex.Transaction, input: ReleaseInput): Promise<Reservation[]> {
  const skus = input.skus && input.skus.length ? input.skus : null
  const held = await listReservations(trx, { reference: input.reference, skus: skus ?? undefined })
  if (held.length === 0) return []
  const ids = held.map((r) => r.id)
  // Lock the level rows in the ledger's key order, then hand the quantities back in one statement.
  await queryRows(
    trx,
    `select s.id from stock_levels s
      where exists (select 1 from reservations r where r.id = any(?::bigint[])
                     and r.product_id = s.product_id and r.location_id = s.location_id and coalesce(r.lot_id, 0) = s.lot_key)
      order by s.product_id, s.location_id, s.lot_key
      for update`,
    [ids],
  )
  await queryRows(
    trx,
    `with r as (
       delete from reservations where id = any(?::bigint[]) returning product_id, location_id, lot_id, qty
     ), agg as (
       select product_id, location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty from r group by 1, 2, 3
     )
     update stock_levels s set reserved = s.reserved - agg.qty, updated_at = now()
       from agg
      where s.product_id = agg.product_id and s.location_id = agg.location_id and s.lot_key = agg.lot_key`,
    [ids],
  )
  return held
}

export interface ReservationQuery {
  reference?: string
  skus?: string[]
  warehouse?: string
  ids?: string[]
  limit?: number
}

export async function listReservations(trx: Knex.Transaction, query: ReservationQuery = {}): Promise<Reservation[]> {
  const rows = await queryRows<Reservation>(
      trx,
    `select r.id, r.reference, p.sku, r.product_id as "productId", w.code as warehouse, l.full_code as location,
            r.location_id as "locationId", lo.code as lot, r.lot_id as "lotId",
            to_char(lo.expires_on, 'YYYY-MM-DD') as "expiresOn", trim_scale(r.qty)::text as qty, r.created_at as "createdAt"
       from reservations r
       join products p on p.id = r.product_id
       join locations l on l.id = r.location_id
       join warehouses w on w.id = l.warehouse_id
       left join lots lo on lo.id = r.lot_id
      where (?::text is null or r.reference = ?)
        and (?::text[] is null or p.sku = any(?::text[]))
        and (?::text is null or w.code = ?)
        and (?::bigint[] is null or r.id = any(?::bigint[]))
      order by r.reference, p.sku, lo.expires_on nulls last, l.full_code, lo.code, r.id
      limit ?::bigint`,
    [
      query.reference ?? null, query.reference ?? null,
      query.skus ?? null, query.skus ?? null,
      query.warehouse ?? null, query.warehouse ?? null,
      query.ids ?? null, query.ids ?? null,
      query.limit ?? null,
    ],
  )
  return rows
}
