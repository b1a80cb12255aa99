import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../cli/errors.js'
import { quantityProblem } from './input.js'
import { postMoves, type MoveLine, type MoveReason, type PostedMove } from './moves.js'
import { productKey, productLabel, resolveProducts, type LocationRef } from './refs.js'
import { queryRows } from './sql.js'

/**
 * Shipping what a document reserved: the reservation is consumed (first-expiry-first-out over
 * the lots and locations it was allocated to) and the outgoing moves are posted, in the caller's
 * transaction, all or nothing. This is how orders fulfil.
 */

export interface FulfilLine {
  sku?: string
  productId?: string
  /** Defaults to everything still reserved for the product (not for serial-tracked products). */
  qty?: string
  /** Serial-tracked products: the units shipped; their locations pick the reservations used. */
  serials?: string[]
}

export interface FulfilInput {
  reference: string
  /** Every reserved product in full when left out. */
  lines?: FulfilLine[]
  /** Where the goods go: the customer by default. */
  to?: LocationRef
  reason?: MoveReason
  note?: string
  createdBy?: string
}

interface Taken {
  location: string
  lot: string | null
  qty: string
}

export async function fulfilReservations(trx: Knex.Transaction, input: FulfilInput): Promise<PostedMove[]> {
  // One document's reservations are consumed by one transaction at a time.
  await trx.raw('select id from reservations where reference = ? order by id for update', [input.reference])
  const lines = input.lines ?? (await wholeReference(trx, input.reference))
  if (lines.length === 0) {
    throw new ErpError(ErrorKind.NOT_FOUND, `Nothing is reserved for ${input.reference}`, {
      actions: ['Reserve first (erp stock reserve), or post the moves directly'],
      data: { reference: input.reference },
    })
  }
  const products = await resolveProducts(trx, lines)
  const problems: string[] = []
  const moves: MoveLine[] = []
  for (const [index, line] of lines.entries()) {
    const product = products.get(productKey(line))
    const label = `line ${index + 1} (${productLabel(line)})`
    if (!product) {
      problems.push(`${label}: unknown product`)
      continue
    }
    if (line.qty !== undefined) {
      const problem = quantityProblem(line.qty)
      if (problem) {
        problems.push(`${label}: ${problem}`)
        continue
      }
    }
    const base = { sku: product.sku, to: input.to ?? 'customer', reason: input.reason ?? 'shipment', reference: input.reference, note: input.note }
    if (product.tracking === 'serial') {
      const serials = line.serials ?? []
      if (serials.length === 0) {
        problems.push(`${label}: serial-tracked, give the serial numbers shipped`)
        continue
      }
      const byLocation = await serialLocations(trx, product.id, serials)
      for (const [location, units] of byLocation) {
        if (location === null) {
          problems.push(`${label}: serials not in stock: ${units.join(', ')}`)
          continue
        }
        const taken = await consume(trx, input.reference, product.id, String(units.length), location)
        if (!taken) problems.push(`${label}: fewer than ${units.length} units reserved at ${location} for ${input.reference}`)
        else moves.push({ ...base, from: location, qty: String(units.length), serials: units })
      }
      continue
    }
    const taken = await consume(trx, input.reference, product.id, line.qty ?? null, null)
    if (!taken) problems.push(`${label}: only part of ${line.qty} is reserved for ${input.reference}`)
    else for (const t of taken) moves.push({ ...base, from: t.location, qty: t.qty, lot: t.lot ?? undefined })
  }
  if (problems.length) {
    throw invalidData(`Cannot fulfil ${input.reference}: ${problems.join('; ')}`, {
      actions: ['Nothing was shipped. See what is reserved with: erp stock reservations --reference <ref>'],
      data: { reference: input.reference, problems },
    })
  }
  return postMoves(trx, moves, { guard: 'available', createdBy: input.createdBy })
}

async function wholeReference(trx: Knex.Transaction, reference: string): Promise<FulfilLine[]> {
  const rows = await queryRows<{ product_id: string; tracking: string; sku: string }>(
      trx,
    `select distinct r.product_id, p.tracking, p.sku from reservations r join products p on p.id = r.product_id
      where r.reference = ? order by p.sku`,
    [reference],
  )
  const serial = rows.filter((r) => r.tracking === 'serial').map((r) => r.sku)
  if (serial.length) {
    throw invalidData(`${reference} holds serial-tracked products (${serial.join(', ')}): name the serial numbers shipped`)
  }
  return rows.map((r) => ({ productId: r.product_id }))
}

async function serialLocations(trx: Knex.Transaction, productId: string, serials: string[]): Promise<Map<string | null, string[]>> {
  const rows = await queryRows<{ serial: string; location: string | null }>(
      trx,
    `select k.serial, l.full_code as location
       from unnest(?::text[]) as k(serial)
       left join serials s on s.product_id = ? and s.serial = k.serial
       left join locations l on l.id = s.location_id`,
    [serials, productId],
  )
  const map = new Map<string | null, string[]>()
  for (const row of rows) map.set(row.location, [...(map.get(row.location) ?? []), row.serial])
  return map
}

/**
 * Take qty (all when null) of a product off a reference's reservations, soonest expiry first, and
 * hand it back to the levels' `reserved`, in one statement. Undefined when not enough is reserved.
 */
async function consume(
  trx: Knex.Transaction,
  reference: string,
  productId: string,
  qty: string | null,
  location: string | null,
): Promise<Taken[] | undefined> {
  const rows = await queryRows<{ complete: boolean; taken: Taken[] }>(
      trx,
    `with cand as (
       select r.id, r.qty, r.product_id, r.location_id, r.lot_id, lo.expires_on
         from reservations r
         join locations l on l.id = r.location_id
         left join lots lo on lo.id = r.lot_id
        where r.reference = ? and r.product_id = ? and (?::text is null or l.full_code = ?)
     ), alloc as (
       select id, qty, product_id, location_id, lot_id,
              case when ?::numeric is null then qty
                   else least(qty, ?::numeric - coalesce(sum(qty) over (
                          order by expires_on nulls last, id rows between unbounded preceding and 1 preceding), 0)) end as take
         from cand
     ), gone as (
       delete from reservations r using alloc a where r.id = a.id and a.take >= a.qty returning r.id
     ), cut as (
       update reservations r set qty = r.qty - a.take from alloc a where r.id = a.id and a.take > 0 and a.take < a.qty returning r.id
     ), agg as (
       select product_id, location_id, lot_id, sum(take) as take from alloc where take > 0 group by 1, 2, 3
     ), lv as (
       update stock_levels s set reserved = s.reserved - agg.take, updated_at = now()
         from agg
        where s.product_id = agg.product_id and s.location_id = agg.location_id and s.lot_key = coalesce(agg.lot_id, 0)
       returning s.id
     )
     select (?::numeric is null or coalesce((select sum(take) from agg), 0) = ?::numeric)
              and exists (select 1 from agg) as complete,
            coalesce((select json_agg(json_build_object('location', l.full_code, 'lot', lo.code, 'qty', trim_scale(agg.take)::text)
                                      order by l.full_code, lo.code)
                        from agg join locations l on l.id = agg.location_id left join lots lo on lo.id = agg.lot_id), '[]') as taken,
            (select count(*) from gone) + (select count(*) from cut) + (select count(*) from lv) as touched`,
    [reference, productId, location, location, qty, qty, qty, qty],
  )
  return rows[0].complete ? rows[0].taken : undefined
}
